"""Event validation (SPEC "Event contract" and "Bad input", models/): precise rejections."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import MAX_EVENT_BYTES, EventRejected, parse_event
from models.events import RFC3339_PATTERN

from .helpers import ad, event, interaction, profile, report, sent, ssi

T = "2026-11-20T12:00:00Z"


def _reject(raw: bytes | str | dict[str, Any]) -> EventRejected:
    if isinstance(raw, dict):
        raw = json.dumps(raw)
    with pytest.raises(EventRejected) as info:
        parse_event(raw)
    return info.value


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`base` with fields replaced; a value of `...` removes the field."""
    out = dict(base)
    for key, value in changes.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


VIEW = interaction("p1", "view", T, count=3)
AD = ad("click", T, count=2, cost="1.25", format="carousel", card_index=1)
SENT = sent("i1", T)


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"event_id": "e1",', b"", b"\xff\xfe{}", b"[1, 2]", b'"text"', b"null"],
)
def test_malformed_json_is_rejected(raw: bytes) -> None:
    rejected = _reject(raw)
    assert rejected.kind == "malformed_json"
    assert rejected.reason


def test_unknown_type_is_rejected_with_the_type() -> None:
    rejected = _reject(_with(VIEW, type="post.deleted"))
    assert rejected.kind == "unknown_type"
    assert rejected.reason.startswith("type:")
    assert "post.deleted" in rejected.reason


@pytest.mark.parametrize(
    ("base", "field", "path"),
    [
        (VIEW, "type", "type"),
        (VIEW, "event_id", "event_id"),
        (VIEW, "occurred_at", "occurred_at"),
        (VIEW, "account_id", "account_id"),
        (VIEW, "post_id", "post_id"),
        (VIEW, "kind", "kind"),
        (SENT, "invitee_id", "invitee_id"),
        (SENT, "direction", "direction"),
        (AD, "campaign_id", "campaign_id"),
    ],
)
def test_missing_required_field_names_the_field(base, field: str, path: str) -> None:
    rejected = _reject(_with(base, **{field: ...}))
    assert rejected.kind == "missing_field"
    assert rejected.reason.startswith(f"{path}:"), rejected.reason


def test_missing_nested_field_names_the_path() -> None:
    snap = profile(T, ssi={"brand": 10, "people": 10, "insights": 10})  # no relationships
    rejected = _reject(snap)
    assert rejected.kind == "missing_field"
    assert rejected.reason.startswith("ssi.relationships:"), rejected.reason


@pytest.mark.parametrize(
    ("base", "changes", "path"),
    [
        (VIEW, {"count": "3"}, "count"),  # a count must be a JSON integer
        (VIEW, {"count": 3.0}, "count"),
        (VIEW, {"count": 0}, "count"),  # >= 1
        (VIEW, {"count": True}, "count"),
        (VIEW, {"post_id": 5}, "post_id"),  # every *_id is a string
        (VIEW, {"event_id": 7}, "event_id"),
        (VIEW, {"event_id": ""}, "event_id"),  # 1-128 chars
        (VIEW, {"event_id": "e" * 129}, "event_id"),
        (VIEW, {"account_id": "a" * 201}, "account_id"),  # 1-200 chars
        (VIEW, {"occurred_at": 1763640000}, "occurred_at"),  # a number
        (VIEW, {"occurred_at": 1763640000.5}, "occurred_at"),
        (VIEW, {"occurred_at": "2026-11-20T12:00:00"}, "occurred_at"),  # no offset
        (VIEW, {"occurred_at": "2026-11-20"}, "occurred_at"),
        (VIEW, {"occurred_at": "yesterday"}, "occurred_at"),
        (VIEW, {"kind": "like"}, "kind"),
        (VIEW, {"actor_degree": 4}, "actor_degree"),
        (VIEW, {"actor_degree": "1"}, "actor_degree"),
        (VIEW, {"actor_is_target": "true"}, "actor_is_target"),
        (VIEW, {"schema_version": "1"}, "schema_version"),
        (AD, {"card_index": -1}, "card_index"),  # integer >= 0
        (AD, {"card_index": "1"}, "card_index"),
        (AD, {"cost": "-1"}, "cost"),  # decimal string >= 0
        (AD, {"cost": "-0.01"}, "cost"),
        (AD, {"cost": 1.25}, "cost"),  # a float would lose exactness: must be a string
        (AD, {"cost": "1e3"}, "cost"),
        (AD, {"cost": "NaN"}, "cost"),
        (AD, {"currency": "eur"}, "currency"),
        (AD, {"format": "banner"}, "format"),
        (SENT, {"direction": "sideways"}, "direction"),
        (SENT, {"invitee_is_target": 1}, "invitee_is_target"),
        (profile(T, connections=5), {"connections": -1}, "connections"),
        (profile(T, connections=5), {"followers": "10"}, "followers"),
        (profile(T, ssi=ssi(26, 1, 1, 1)), {}, "ssi.brand"),  # components in [0, 25]
        (profile(T, ssi=ssi(1, -0.5, 1, 1)), {}, "ssi.people"),
        (profile(T, ssi=ssi(1, 1, 25.01, 1)), {}, "ssi.insights"),
        (profile(T, ssi=ssi(1, 1, 1, "20")), {}, "ssi.relationships"),
        (profile(T, ssi=ssi(1, 1, 1, 1, industry_rank_pct=101)), {}, "ssi.industry_rank_pct"),
        (interaction("p", "view", T), {"type": "post.snapshot", "views": -1}, "views"),
        (report("2026-11-19", T, 1, 1, "1"), {"date": "2026-13-01"}, "date"),
        (report("2026-11-19", T, 1, 1, "1"), {"impressions": "1"}, "impressions"),
        (event("outcome.recorded", T, prospect_id="p", channel="x", kind="lead"), {}, "channel"),
    ],
)
def test_wrong_type_or_out_of_range_names_the_field(base, changes, path: str) -> None:
    rejected = _reject(_with(base, **changes))
    assert rejected.kind == "invalid_field"
    assert rejected.reason.startswith(f"{path}:"), rejected.reason


def test_ssi_component_26_reason_mentions_the_limit() -> None:
    rejected = _reject(profile(T, ssi=ssi(26, 10, 10, 10)))
    assert rejected.reason.startswith("ssi.brand:")
    assert "25" in rejected.reason


def test_nan_ssi_component_is_rejected() -> None:
    raw = json.dumps(profile(T, ssi=ssi(1, 1, 1, 1))).replace('"brand": 1', '"brand": NaN')
    assert "NaN" in raw
    assert _reject(raw).reason.startswith("ssi.brand:")


def test_empty_snapshots_are_rejected() -> None:
    assert _reject(event("post.snapshot", T, post_id="p")).kind == "invalid_field"
    assert _reject(event("profile.snapshot", T)).kind == "invalid_field"


@pytest.mark.parametrize(
    "stamp",
    [
        "1763640000",  # a number in a string: no offset at all
        "2026-11-20T12:00Z",  # no seconds: not RFC 3339
        "2026-11-20 12:00:00Z",  # the published schema's pattern requires the `T`
        "2026-11-20_12:00:00Z",
        "2026-11-20T12:00:00+05:60",  # offset minutes past 59
        "2026-11-20T12:00:00+05:30:15",  # offset seconds
        "2026-11-20T12:00:00,5Z",  # comma fraction (ISO 8601, not RFC 3339)
        "2026-11-20T12:00:00.1234567890Z",  # more than 9 fraction digits
        "2026-11-20T12:00:00.Z",
        "",
        "Z",
    ],
)
def test_timestamps_outside_the_rfc3339_pattern_are_rejected(stamp: str) -> None:
    rejected = _reject(_with(VIEW, occurred_at=stamp))
    assert rejected.reason.startswith("occurred_at:"), rejected.reason


def test_oversize_is_rejected_before_parsing() -> None:
    padding = "x" * (MAX_EVENT_BYTES + 1)
    rejected = _reject(json.dumps(_with(VIEW, note=padding)).encode())
    assert rejected.kind == "oversize"
    assert "bytes" in rejected.reason
    # exactly at the limit is not oversize (it is then judged on its content)
    head = json.dumps(VIEW)[:-1] + ', "pad": "'
    exact = head + "y" * (MAX_EVENT_BYTES - len(head) - 2) + '"}'
    assert len(exact.encode()) == MAX_EVENT_BYTES
    assert parse_event(exact.encode()).event_id == VIEW["event_id"]


def test_oversize_counts_utf8_bytes_not_characters() -> None:
    # 40,000 "é" are 80,000 UTF-8 bytes: an oversize message whether passed as bytes or str
    text = json.dumps(_with(VIEW, note="é" * 40_000), ensure_ascii=False)
    assert len(text) < MAX_EVENT_BYTES < len(text.encode())
    assert _reject(text.encode()).kind == "oversize"
    assert _reject(text).kind == "oversize"


def test_unknown_extra_fields_are_ignored() -> None:
    raw = _with(VIEW, extra="x", nested={"a": [1, 2]}, collector_version=3)
    ev = parse_event(json.dumps(raw))
    assert ev.type == "post.interaction"
    assert ev.count == 3
    assert not hasattr(ev, "extra")
    ssi_extra = profile(T, ssi={**ssi(10, 10, 10, 10), "trend": "up"})
    assert parse_event(json.dumps(ssi_extra)).ssi.brand == 10.0


def test_defaults_and_accepted_shapes() -> None:
    ev = parse_event(json.dumps(interaction("p", "reaction", T)))
    assert (ev.count, ev.actor_id, ev.actor_degree, ev.actor_is_target) == (1, None, None, False)
    assert ev.schema_version == 1
    adv = parse_event(json.dumps(ad("impression", T)))
    assert (adv.count, adv.cost, adv.currency, adv.card_index) == (1, "0", "EUR", None)
    assert Decimal(parse_event(json.dumps(_with(AD, cost="18.40"))).cost) == Decimal("18.40")
    inv = parse_event(json.dumps(_with(SENT, invitee_is_target=...)))
    assert inv.invitee_is_target is False
    # SSI: fractional and integer numbers are both fine
    assert parse_event(json.dumps(profile(T, ssi=ssi(12.5, 0, 25, 20)))).ssi.relationships == 20
    # actor_degree may be null
    assert parse_event(json.dumps(_with(VIEW, actor_degree=None))).actor_degree is None
    # card_index 0 is a valid card
    assert parse_event(json.dumps(_with(AD, card_index=0))).card_index == 0


def test_timestamps_keep_microseconds_and_offsets() -> None:
    from kpis.timeutil import to_us

    ev = parse_event(json.dumps(_with(VIEW, occurred_at="2026-11-21T05:30:00.123456+05:30")))
    assert to_us(ev.occurred_at) == to_us(
        parse_event(json.dumps(_with(VIEW, occurred_at="2026-11-21T00:00:00.123456Z"))).occurred_at
    )
    assert ev.occurred_at.microsecond == 123456


def test_rejection_is_a_value_error_with_a_bounded_kind() -> None:
    kinds = set()
    for raw in (b"{", json.dumps(_with(VIEW, type="x")), json.dumps(_with(VIEW, post_id=...))):
        with pytest.raises(ValueError) as info:
            parse_event(raw)
        assert isinstance(info.value, EventRejected)
        kinds.add(info.value.kind)
    assert kinds == {"malformed_json", "unknown_type", "missing_field"}


def test_fast_timestamp_conversion_is_exact() -> None:
    """`to_us_fast` (float path) must agree with the exact integer path to the microsecond."""
    import random
    from datetime import UTC, datetime, timedelta, timezone

    from kpis.timeutil import to_us, to_us_fast

    rng = random.Random(7)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for _ in range(20_000):
        micros = rng.randrange(-2_000_000_000_000_000, 7_000_000_000_000_000)
        offset = timezone(timedelta(minutes=rng.randrange(-14 * 60, 14 * 60 + 1)))
        moment = (epoch + timedelta(microseconds=micros)).astimezone(offset)
        assert to_us_fast(moment) == to_us(moment) == micros


@given(
    st.from_regex(RFC3339_PATTERN, fullmatch=True)
    | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
    | st.text(alphabet="0123456789-+:.,TZ ", max_size=40)
)
def test_timestamp_validator_never_accepts_what_the_schema_pattern_refuses(stamp: str) -> None:
    """The published JSON Schema pattern is the contract of the timestamp's shape."""
    try:
        parse_event(json.dumps(_with(VIEW, occurred_at=stamp)))
    except EventRejected:
        return
    assert re.fullmatch(RFC3339_PATTERN, stamp), stamp
