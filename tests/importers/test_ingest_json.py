"""Framing and limits of ingest bodies (`importers.ingest_json`), without a server."""

from __future__ import annotations

import pytest

from importers.ingest_json import MAX_DEPTH, frame, parse_item
from models.rejects import EventRejected, RejectKind


def verdicts(body: bytes) -> list[object]:
    out: list[object] = []
    for item in frame(body).items:
        try:
            out.append(parse_item(item))
        except EventRejected as error:
            out.append(error.kind)
    return out


@pytest.mark.parametrize(
    ("body", "expected", "single"),
    [
        (b'[{"a":1}, {"b":[1,2]}]', [{"a": 1}, {"b": [1, 2]}], True),
        (b'\xef\xbb\xbf {"a":\n 1}\n', [{"a": 1}], True),  # BOM, pretty-printed object
        (b'{"a":1}\n\n{"b":2}\r\n', [{"a": 1}, {"b": 2}], False),  # JSON lines
        (b"[]", [], True),
        (b"  \n", [], False),
        (b"[[1]]", [[1]], True),
        (
            b'[{"a":1}, {"a" 1}, {"c":"x,]"}]',
            [{"a": 1}, RejectKind.MALFORMED_JSON, {"c": "x,]"}],
            True,
        ),
        (b'[{"a":1},]', [{"a": 1}, RejectKind.MALFORMED_JSON], True),
        (b'[{"a":1}, {"b":', [RejectKind.MALFORMED_JSON], False),  # truncated: one bad line
        (b'{"a":1}\n{"b":', [{"a": 1}, RejectKind.MALFORMED_JSON], False),
        (b'[{"s":"\\"]["}, 2]', [{"s": '"]['}, 2], True),  # brackets inside strings
    ],
)
def test_framing(body: bytes, expected: list[object], single: bool) -> None:
    assert verdicts(body) == expected
    assert frame(body).single_value is single


def test_depth_limit_is_exact_on_every_path() -> None:
    def item(levels: int) -> bytes:  # the object is one level, the list inside the rest
        return b'{"x":' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"

    ok, deep, broken = item(MAX_DEPTH), item(MAX_DEPTH + 1), b'{"a" 1}'
    value = verdicts(ok)[0]
    assert isinstance(value, dict)
    assert verdicts(deep) == [RejectKind.TOO_DEEP]
    assert verdicts(ok + b"\n" + deep) == [value, RejectKind.TOO_DEEP]  # JSON lines
    assert verdicts(b"[" + ok + b"," + deep + b"]") == [value, RejectKind.TOO_DEEP]
    slow = b"[" + ok + b"," + deep + b"," + broken + b"]"  # the array does not parse whole
    assert verdicts(slow) == [value, RejectKind.TOO_DEEP, RejectKind.MALFORMED_JSON]
    assert verdicts(b"[" + item(5000) + b"," + ok + b"]") == [RejectKind.TOO_DEEP, value]


@pytest.mark.parametrize(
    ("literal", "kind"),
    [
        (b"NaN", RejectKind.INVALID_FIELD),
        (b"-Infinity", RejectKind.INVALID_FIELD),
        (b"1e400", RejectKind.INVALID_FIELD),
        (b"1" + b"0" * 40, RejectKind.INVALID_FIELD),
        (b"1" + b"0" * 5000, RejectKind.MALFORMED_JSON),
    ],
)
def test_numbers(literal: bytes, kind: RejectKind) -> None:
    assert verdicts(b'{"n":' + literal + b"}") == [kind]
    assert verdicts(b'[{"n":1}, {"n":' + literal + b"}]") == [{"n": 1}, kind]
    assert verdicts(b'{"n":' + b"9" * 40 + b"}") == [{"n": int("9" * 40)}]
