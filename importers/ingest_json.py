"""Framing, parsing and limits of an ingest body, without a parser that can recurse away.

Python's `json` recurses per nesting level (`[` x 200,000 was a RecursionError: a 500).
Bodies are parsed with pydantic-core's parser (Rust, refuses nesting past 200, ~5 ms per
MiB), then each item is walked iteratively: deeper than `MAX_DEPTH`, NaN/Infinity or
numbers out of range refuse that item only (the parser lets NaN through, so that one NaN
item does not take its batch down with it).

Framing: a body that is one JSON array holds one item per element; one JSON object is one
item; anything else is JSON lines (one item per non-blank line). When a single array does
not parse as a whole (one item broken or too deep), a regex scan that skips strings and
counts brackets in runs splits it at its top-level commas, so the other items still count.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from pydantic_core import from_json

from models.rejects import EventRejected, RejectKind

MAX_DEPTH = 32  # contract events nest 3 levels, vendor payloads a handful; `{}` is 1
MAX_INT = 10**40  # 40 decimal digits: far past any count or Unix time in milliseconds
# A whole string (JSON forbids raw newlines in one), a run of openers, of closers, a comma,
# or a lone quote (an unterminated string).
_TOKEN = re.compile(rb'"(?:[^"\\\n]|\\[^\n])*"|[\[{]+|[\]}]+|,|"')
_OPEN, _CLOSE, _QUOTE = frozenset(b"[{"), frozenset(b"]}"), ord('"')
_BOM = b"\xef\xbb\xbf"
_UNPARSED: Any = object()


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a batch: its bytes, and its value when the whole body parsed."""

    raw: bytes
    value: Any = _UNPARSED


@dataclass(frozen=True, slots=True)
class Framing:
    items: list[Item]
    single_value: bool  # one JSON array or object, not JSON lines


def frame(body: bytes) -> Framing:
    """The items of a body (see the module docstring); no item for a blank body."""
    text = body.removeprefix(_BOM).strip()
    if not text:
        return Framing([], False)
    if text[0] in _OPEN:
        try:
            whole = from_json(text)
        except ValueError:
            whole = _UNPARSED
        if isinstance(whole, list):
            return Framing([Item(_compact(v), v) for v in whole], True)
        if isinstance(whole, dict):
            return Framing([Item(text, whole)], True)
        cuts = _top_level_commas(text) if text[-1] in _CLOSE else None
        if cuts is not None and text[0] == ord("["):
            bounds = [0, *cuts, len(text) - 1]
            items = [Item(text[a + 1 : b].strip()) for a, b in itertools.pairwise(bounds)]
            return Framing([] if [i.raw for i in items] == [b""] else items, True)
        if cuts is not None:
            return Framing([Item(text)], True)
    lines = (line.strip() for line in text.split(b"\n"))
    return Framing([Item(line) for line in lines if line], False)


def parse_item(item: Item) -> Any:
    """The item's JSON value, within the limits; raises `EventRejected` (`too_deep`,
    `malformed_json`, `invalid_field`)."""
    value = item.value
    if value is _UNPARSED:
        try:
            value = from_json(item.raw)
        except ValueError as error:
            text = str(error)
            if text.startswith("recursion limit exceeded"):
                raise EventRejected(
                    f"nested deeper than {MAX_DEPTH} levels", RejectKind.TOO_DEEP
                ) from None
            raise EventRejected(f"malformed JSON: {text}", RejectKind.MALFORMED_JSON) from None
    check_limits(value)
    return value


def check_limits(value: Any) -> None:
    """Depth, finite floats and bounded integers, walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            if level > MAX_DEPTH:
                raise EventRejected(f"nested deeper than {MAX_DEPTH} levels", RejectKind.TOO_DEEP)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((c, level + 1) for c in children if not isinstance(c, str | bool))
        elif isinstance(node, float) and not math.isfinite(node):
            raise EventRejected("number out of range (not finite)", RejectKind.INVALID_FIELD)
        elif isinstance(node, int) and not -MAX_INT < node < MAX_INT:
            raise EventRejected("number out of range (over 40 digits)", RejectKind.INVALID_FIELD)


def _compact(value: Any) -> bytes:
    """One array element as compact JSON (the parser keeps no byte offsets)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


def _top_level_commas(data: bytes) -> list[int] | None:
    """Positions of the top-level commas of the array or object opening `data`, or None
    when it does not close exactly at the end. Linear: strings are skipped, bracket runs
    are one token each."""
    level = 0
    cuts: list[int] = []
    for match in _TOKEN.finditer(data):
        token = match.group()
        first = token[0]
        if first in _OPEN:
            level += len(token)
        elif first in _CLOSE:
            if len(token) >= level:
                closed = len(token) == level and match.start() + level == len(data)
                return cuts if closed else None
            level -= len(token)
        elif first == _QUOTE:
            if len(token) == 1:
                return None
        elif level == 1:
            cuts.append(match.start())
    return None
