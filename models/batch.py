"""Batch messages (contract 1.1): many events of one account in one Kafka message.

Framing, decided by the headers alone (the body is never sniffed):

- **No `socialkpi-batch` header**: a version-1 message, one JSON event (unchanged).
- **Header `socialkpi-batch: 1`**: a batch. The body is UTF-8 JSON lines: every line that
  is not blank is one event, exactly the bytes a single-event message would carry (one
  compact JSON object, so no raw newline inside); lines end with `\\n` (a `\\r` before it
  is JSON whitespace); blank lines are ignored and not counted. Item `index` = the
  item's position among the non-blank lines, from 0. The message key is the `account_id`
  of every item.

`parse_message` judges each item on its own, with `models.parse_event` (the same verdict,
reason kinds included, as if the item had come alone as a single-event message), plus the
key check: an item whose `account_id` is not the message key is `key_mismatch`. What needs
the worker's settings stays with the worker: the topic check (`wrong_topic`), time against
the clock (`future_time`), duplicates and order (the engine; a batch changes none of
them: duplicates inside one batch are parsed like any others and left to the engine).

A message whose framing is refused as a whole is ONE rejection (`index` None, `raw` the
whole value): a null value, an unknown framing version, no item at all
(`malformed_json`), more than `max_items` items (`oversize`). Limits: each item at most
`max_item_bytes` (default `MAX_EVENT_BYTES`, 64 KiB: larger items are `oversize`, alone),
at most `max_items` items (default `MAX_BATCH_ITEMS`); the whole message is bounded by the
broker's `max.message.bytes` (producers keep to `DEFAULT_BATCH_BYTES`).

Producers: `pack` cuts a run of one account's event lines into messages within a count and
a byte budget, and `encode_message` frames one of them (a lone event goes out as a plain
version-1 message, without the header).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from models.events import Event
from models.parse import MAX_EVENT_BYTES, parse_event
from models.rejects import EventRejected, RejectKind

BATCH_HEADER = "socialkpi-batch"
BATCH_FRAMING = b"1"  # the framing version this module reads and writes
BATCH_HEADERS: list[tuple[str, bytes]] = [(BATCH_HEADER, BATCH_FRAMING)]
MAX_BATCH_ITEMS = 10_000  # most items one batch message may carry (more: whole message refused)
DEFAULT_BATCH_EVENTS = 1_000  # producers: events per batch message
DEFAULT_BATCH_BYTES = 900 * 1024  # producers: bytes per batch body (broker default: 1 MiB)
_BATCH_HEADER_BYTES = BATCH_HEADER.encode()

# Kafka headers as aiokafka and Faust hand them over: a sequence of (key, value) pairs, a
# mapping, or None; keys str (bytes accepted), values bytes (str accepted).
Headers: TypeAlias = (
    Mapping[str, bytes] | Mapping[bytes, bytes] | Iterable[tuple[str | bytes, bytes | str]] | None
)


@dataclass(slots=True)  # not frozen: a frozen dataclass costs 1 us more per item to build
class ItemResult:
    """The verdict on one item (read-only by convention): exactly one of `event` and
    `error` is set.

    `index` is the item's position in its batch (0-based), None for a single-event message
    or a message refused as a whole; `raw` is the item's own bytes (the whole value when
    `index` is None), what its dead letter keeps."""

    index: int | None
    raw: bytes
    event: Event | None = None
    error: EventRejected | None = None


def batch_framing(headers: Headers) -> bytes | None:
    """The value of the `socialkpi-batch` header (the framing version), None without one."""
    if not headers:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in pairs:
        if name in (BATCH_HEADER, _BATCH_HEADER_BYTES):
            return value.encode() if isinstance(value, str) else value
    return None


def is_batch(headers: Headers) -> bool:
    """Whether a message with these headers is framed as a batch (any framing version:
    `parse_message` refuses an unknown one as a whole)."""
    return batch_framing(headers) is not None


def parse_message(
    value: bytes | None,
    headers: Headers,
    key: bytes | None,
    *,
    max_item_bytes: int = MAX_EVENT_BYTES,
    max_items: int = MAX_BATCH_ITEMS,
) -> list[ItemResult]:
    """Every item of one Kafka message, in order, each an event or a rejection (see the
    module docstring). `key` is the message key: an item whose `account_id` is not
    `key` (UTF-8) is `key_mismatch`, and a None key mismatches every item. Never raises
    `EventRejected`."""
    framing = batch_framing(headers)
    if value is None:
        return [_whole(b"", "empty message (null value)", RejectKind.MALFORMED_JSON)]
    account = _account_of(key)
    if framing is None:
        return [_judge(None, value, account, max_item_bytes)]
    if framing != BATCH_FRAMING:
        shown = framing[:16].decode("utf-8", "replace")
        return [
            _whole(
                value,
                f"{BATCH_HEADER}: unknown batch framing {shown!r} (this version reads '1')",
                RejectKind.MALFORMED_JSON,
            )
        ]
    lines = [line for line in value.split(b"\n") if line and not line.isspace()]
    if not lines:
        return [_whole(value, "batch body: no event", RejectKind.MALFORMED_JSON)]
    if len(lines) > max_items:
        return [
            _whole(
                value,
                f"batch of {len(lines)} items: more than {max_items}",
                RejectKind.OVERSIZE,
            )
        ]
    return [_judge(index, line, account, max_item_bytes) for index, line in enumerate(lines)]


def _account_of(key: bytes | None) -> str | None:
    """The account the key names (None: no key, or not UTF-8: every item mismatches)."""
    if key is None:
        return None
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _judge(index: int | None, raw: bytes, account: str | None, max_bytes: int) -> ItemResult:
    try:
        event = parse_event(raw, max_bytes)
    except EventRejected as rejected:
        return ItemResult(index, raw, error=rejected)
    if event.account_id != account:
        mismatch = EventRejected(
            "key: the message key must equal account_id", RejectKind.KEY_MISMATCH
        )
        return ItemResult(index, raw, error=mismatch)
    return ItemResult(index, raw, event=event)


def _whole(value: bytes, reason: str, kind: RejectKind) -> ItemResult:
    return ItemResult(None, value, error=EventRejected(reason, kind))


# --- producers ------------------------------------------------------------------------------


def pack(lines: Iterable[bytes], max_events: int, max_bytes: int) -> Iterator[list[bytes]]:
    """Cut one account's event lines (in order) into messages of at most `max_events`
    lines and `max_bytes` body bytes (lines plus newlines). A line larger than `max_bytes`,
    or holding a raw newline (a pretty-printed event), goes alone, as a single-event
    message. With `max_events` 1 every event goes alone."""
    if max_events < 1:
        raise ValueError("max_events must be at least 1")
    group: list[bytes] = []
    size = 0
    for line in lines:
        if b"\n" in line:
            if group:
                yield group
                group, size = [], 0
            yield [line]
            continue
        grown = size + len(line) + (1 if group else 0)
        if group and (len(group) >= max_events or grown > max_bytes):
            yield group
            group, grown = [], len(line)
        group.append(line)
        size = grown
    if group:
        yield group


def encode_message(lines: Sequence[bytes]) -> tuple[bytes, list[tuple[str, bytes]] | None]:
    """(value, headers) of the message carrying `lines` (one account's events): a single
    line is a plain version-1 message (no header), more are a batch."""
    if not lines:
        raise ValueError("a message carries at least one event")
    if len(lines) == 1:
        return lines[0], None
    if any(b"\n" in line for line in lines):
        raise ValueError("a batch item cannot hold a raw newline (send it alone)")
    return b"\n".join(lines), list(BATCH_HEADERS)
