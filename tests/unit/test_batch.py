"""Batch messages (SPEC "Contract additions, version 1.1"; models/batch.py): framing,
per-item verdicts as if each item had come alone, limits, producer packing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import (
    BATCH_HEADER,
    MAX_BATCH_ITEMS,
    MAX_EVENT_BYTES,
    EventRejected,
    ItemResult,
    RejectKind,
    is_batch,
    parse_event,
    parse_message,
)
from models.batch import BATCH_HEADERS, batch_framing, encode_message, pack

from .helpers import ACCOUNT, interaction, sent

T = "2026-11-20T12:00:00Z"
KEY = ACCOUNT.encode()
HEADERS = [(BATCH_HEADER, b"1")]


def line(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def events(n: int, account: str = ACCOUNT) -> list[dict[str, Any]]:
    return [interaction("p1", "view", T, count=i + 1, account=account) for i in range(n)]


def body(*lines: bytes) -> bytes:
    return b"\n".join(lines)


def verdicts(results: list[ItemResult]) -> list[tuple[int | None, str]]:
    return [(r.index, "ok" if r.error is None else r.error.kind.value) for r in results]


def test_a_valid_batch_gives_every_event_in_order() -> None:
    sent_events = [*events(3), sent("i1", T)]
    results = parse_message(body(*map(line, sent_events)), HEADERS, KEY)
    assert verdicts(results) == [(0, "ok"), (1, "ok"), (2, "ok"), (3, "ok")]
    assert [r.event.model_dump(mode="json") for r in results if r.event] == [
        parse_event(line(e)).model_dump(mode="json") for e in sent_events
    ]
    assert [r.raw for r in results] == [line(e) for e in sent_events]


def test_one_bad_item_among_good_ones_is_rejected_alone_with_its_index() -> None:
    good = events(4)
    bad = dict(good[2], occurred_at="2026-11-20 12:00")  # no offset, space
    lines = [line(good[0]), line(good[1]), line(bad), b"{not json", line(good[3])]
    results = parse_message(body(*lines), HEADERS, KEY)
    assert verdicts(results) == [
        (0, "ok"),
        (1, "ok"),
        (2, "invalid_field"),
        (3, "malformed_json"),
        (4, "ok"),
    ]
    assert results[2].raw == line(bad)
    assert results[2].error is not None and results[2].error.reason.startswith("occurred_at")
    assert results[3].raw == b"{not json"


def test_blank_lines_and_crlf_are_framing_not_items() -> None:
    a, b = (line(e) for e in events(2))
    results = parse_message(b"\n" + a + b"\r\n\n  \n" + b + b"\n", HEADERS, KEY)
    assert verdicts(results) == [(0, "ok"), (1, "ok")]
    assert results[0].raw == a + b"\r"  # the item's bytes as they came (\r is JSON space)


def test_a_json_array_line_is_an_item_refused_like_alone() -> None:
    """JSON lines framing: a line holding an array is one bad item, judged as if alone."""
    [result] = parse_message(b' [{"event_id": "x"}]', HEADERS, KEY)
    assert result.index == 0 and result.error is not None
    assert result.error.kind == "malformed_json"


@pytest.mark.parametrize(
    ("value", "headers", "kind", "reason"),
    [
        (None, HEADERS, "malformed_json", "null value"),
        (b"", HEADERS, "malformed_json", "no event"),
        (b"\n \n\r\n", HEADERS, "malformed_json", "no event"),
        (b"{}", [(BATCH_HEADER, b"2")], "malformed_json", "unknown batch framing"),
    ],
)
def test_a_malformed_body_is_one_rejection_of_the_whole_message(
    value: bytes | None, headers: Any, kind: str, reason: str
) -> None:
    [result] = parse_message(value, headers, KEY)
    assert result.index is None and result.event is None
    assert result.error is not None and result.error.kind == kind
    assert reason in result.error.reason
    assert result.raw == (value or b"")


def test_an_oversize_item_is_rejected_alone() -> None:
    a, b = (line(e) for e in events(2))
    big = line(dict(events(1)[0], note="x" * 2000))
    results = parse_message(body(a, big, b), HEADERS, KEY, max_item_bytes=1024)
    assert verdicts(results) == [(0, "ok"), (1, "oversize"), (2, "ok")]
    default = line(dict(events(1)[0], note="x" * MAX_EVENT_BYTES))
    assert verdicts(parse_message(body(a, default), HEADERS, KEY)) == [(0, "ok"), (1, "oversize")]


def test_too_many_items_refuse_the_whole_message() -> None:
    lines = [line(e) for e in events(6)]
    [result] = parse_message(body(*lines), HEADERS, KEY, max_items=5)
    assert result.index is None and result.error is not None
    assert result.error.kind == RejectKind.OVERSIZE
    assert "more than 5" in result.error.reason
    assert verdicts(parse_message(body(*lines[:5]), HEADERS, KEY, max_items=5))[-1] == (4, "ok")
    assert MAX_BATCH_ITEMS >= 1000


def test_items_of_another_account_are_key_mismatch() -> None:
    mine, other = line(events(1)[0]), line(events(1, account="rep-2")[0])
    results = parse_message(body(mine, other, mine), HEADERS, KEY)
    assert verdicts(results) == [(0, "ok"), (1, "key_mismatch"), (2, "ok")]
    assert verdicts(parse_message(body(mine, mine), HEADERS, None)) == [
        (0, "key_mismatch"),
        (1, "key_mismatch"),
    ]
    assert verdicts(parse_message(body(mine, mine), HEADERS, b"\xff")) == [
        (0, "key_mismatch"),
        (1, "key_mismatch"),
    ]


def test_a_single_event_message_is_unchanged() -> None:
    raw = line(events(1)[0])
    for headers in (None, [], [("content-type", b"application/json")], {}):
        [result] = parse_message(raw, headers, KEY)
        assert result.index is None and result.raw == raw
        assert result.event == parse_event(raw)
    # What was invalid alone stays invalid alone, with the same verdict.
    array = b"[" + raw + b"]"
    [result] = parse_message(array, None, KEY)
    assert result.error is not None
    assert (result.error.kind, result.error.reason) == _alone(array)
    [result] = parse_message(raw, None, b"rep-2")
    assert result.error is not None and result.error.kind == "key_mismatch"
    [result] = parse_message(None, None, KEY)
    assert result.error is not None and result.error.kind == "malformed_json"
    # A JSON-lines body without the header is one (malformed) event, as in version 1.
    [result] = parse_message(body(raw, raw), None, KEY)
    assert result.error is not None and result.error.kind == "malformed_json"


def test_duplicates_within_a_batch_are_left_to_the_engine() -> None:
    raw = line(events(1)[0])
    results = parse_message(body(raw, raw, raw), HEADERS, KEY)
    assert verdicts(results) == [(0, "ok"), (1, "ok"), (2, "ok")]
    assert len({r.event.event_id for r in results if r.event}) == 1


@pytest.mark.parametrize(
    "headers",
    [
        [(BATCH_HEADER, b"1")],
        ((BATCH_HEADER, b"1"),),
        [("traceparent", b"00-ab"), (BATCH_HEADER, "1")],
        [(BATCH_HEADER.encode(), b"1")],
        {BATCH_HEADER: b"1"},
    ],
)
def test_the_header_is_found_in_every_shape_faust_and_aiokafka_give(headers: Any) -> None:
    assert is_batch(headers) and batch_framing(headers) == b"1"
    raw = line(events(1)[0])
    assert verdicts(parse_message(body(raw, raw), headers, KEY)) == [(0, "ok"), (1, "ok")]


def test_no_header_is_no_batch() -> None:
    for headers in (None, [], {}, [("Socialkpi-Batch", b"1")], [("content-type", b"x")]):
        assert not is_batch(headers)


def _alone(raw: bytes, key: bytes = KEY) -> tuple[str, str]:
    """The verdict the worker gives `raw` sent alone: parse_event, then the key check."""
    try:
        event = parse_event(raw)
    except EventRejected as rejected:
        return rejected.kind.value, rejected.reason
    if event.account_id.encode() != key:
        return "key_mismatch", "key: the message key must equal account_id"
    return "ok", ""


GOOD = [line(e) for e in [*events(3), sent("i9", T), *events(1, account="rep-2")]]
_item = st.one_of(
    st.sampled_from(GOOD),
    st.sampled_from(GOOD).map(lambda g: g.replace(b'"count":', b'"count":-')),
    st.sampled_from(GOOD).map(lambda g: g[: len(g) // 2]),
    st.sampled_from(GOOD).map(lambda g: g.replace(b"2026-", b"1999-")),
    st.sampled_from(GOOD).map(lambda g: g.replace(b'"type":"', b'"type":"x')),
    st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b and not b.isspace()),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_item, min_size=1, max_size=12))
def test_each_item_gets_the_verdict_it_gets_alone(items: list[bytes]) -> None:
    results = parse_message(body(*items), HEADERS, KEY)
    assert [r.index for r in results] == list(range(len(items)))
    for raw, result in zip(items, results, strict=True):
        got = ("ok", "") if result.error is None else (result.error.kind.value, result.error.reason)
        assert got == _alone(raw)
        assert result.raw == raw


# --- producers --------------------------------------------------------------------------------


def test_pack_respects_the_count_and_the_byte_budget() -> None:
    lines = [b"x" * 10] * 7
    assert [len(g) for g in pack(lines, 3, 10_000)] == [3, 3, 1]
    # 10 + 1 + 10 + 1 + 10 = 32 bytes for three lines
    assert [len(g) for g in pack(lines, 100, 32)] == [3, 3, 1]
    assert [len(g) for g in pack(lines, 100, 31)] == [2, 2, 2, 1]
    assert [len(g) for g in pack(lines, 1, 10_000)] == [1] * 7
    assert [len(g) for g in pack([b"y" * 50, *lines[:2]], 100, 32)] == [1, 2]  # too big: alone
    assert list(pack([], 5, 100)) == []
    with pytest.raises(ValueError):
        list(pack(lines, 0, 100))


def test_a_line_with_a_raw_newline_goes_alone() -> None:
    pretty = json.dumps(events(1)[0], indent=1).encode()
    a = line(events(1)[0])
    groups = list(pack([a, a, pretty, a], 100, 10_000))
    assert groups == [[a, a], [pretty], [a]]
    value, headers = encode_message([pretty])
    assert (value, headers) == (pretty, None)
    with pytest.raises(ValueError):
        encode_message([a, pretty])


def test_encoded_messages_parse_back_to_the_same_events() -> None:
    lines = [line(e) for e in events(5)]
    value, headers = encode_message(lines)
    assert headers == BATCH_HEADERS and is_batch(headers)
    assert value == b"\n".join(lines)
    assert [r.raw for r in parse_message(value, headers, KEY)] == lines
    single, none = encode_message(lines[:1])
    assert single == lines[0] and none is None
    assert parse_message(single, none, KEY)[0].event == parse_event(lines[0])
    with pytest.raises(ValueError):
        encode_message([])
