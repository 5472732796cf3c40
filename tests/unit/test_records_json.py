"""Record serialization (orjson fast path) writes exactly the bytes of `json.dumps`.

The reference is the contract's encoding: `json.dumps(record.to_dict(), separators=(",", ":"),
ensure_ascii=False)`. Floats are the usual trap (orjson writes 1e-07 as 1e-7), then strings
with escapes, lone surrogates and integers beyond 64 bits (orjson refuses both).
"""

from __future__ import annotations

import json
import math
import random
import struct
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from models.records import KpiRecord, records_json, records_jsonl

FLOATS = [
    0.1,
    0.2 + 0.1,
    1e-7,
    1e-5,
    5e-06,
    1e-4,
    0.0001234,
    1e15,
    1e16,
    1.5e16,
    123456789012345.6,
    1e22,
    1e-300,
    5e-324,
    1.7976931348623157e308,
    0.0,
    -0.0,
    1.0,
    -2.5,
    1 / 3,
    2 / 3,
    100.0,
    12345678.0,
    math.nan,
    math.inf,
    -math.inf,
]
INTS = [0, 1, -1, 47, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**63, 2**64, -(2**64) - 7, 10**30]
DECIMALS = ["0", "0.00", "18.40", "-3.5", "1E+3", "1e-9", "123456789012345.123456789", "NaN"]
TEXT = [
    "rep-7",
    "",
    'quo"te',
    "back\\slash",
    "new\nline\r\t\b\f",
    "\x00\x01\x1f\x7f",
    "\u2028\u2029",
    "é ü ß",
    "😀 emoji",
    "</script>",
    "\ud800 lone surrogate",
    "日本語",
    "a},{b",  # the separator records_jsonl cuts the dims at
    "},{",
]
DIM_KEYS = ["post_id", "hour", "campaign_id", "creative_id", "format", "currency", "bucket"]


def reference(record: KpiRecord) -> str:
    return json.dumps(record.to_dict(), separators=(",", ":"), ensure_ascii=False)


def _random_float(rng: random.Random) -> float:
    choice = rng.random()
    if choice < 0.3:
        return rng.choice(FLOATS)
    if choice < 0.6:  # any bit pattern: subnormals, huge, nan payloads
        value: float = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        return value
    if choice < 0.8:  # ratios as the engine makes them
        return rng.randint(0, 10**6) / rng.randint(1, 10**7)
    return rng.uniform(-1, 1) * 10 ** rng.randint(-12, 20)


def _random_text(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return rng.choice(TEXT)
    alphabet = [chr(c) for c in (*range(0, 0x80), 0xE9, 0x2028, 0xFFFF, 0x1F600, 0xD800)]
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


def _random_value(rng: random.Random) -> int | float | Decimal:
    choice = rng.random()
    if choice < 0.4:
        return rng.choice(INTS) if rng.random() < 0.3 else rng.randint(-(10**6), 10**12)
    if choice < 0.8:
        return _random_float(rng)
    if rng.random() < 0.5:
        return Decimal(rng.choice(DECIMALS))
    return Decimal(rng.randint(0, 10**12)) / Decimal(10 ** rng.randint(0, 9))


def _random_record(rng: random.Random) -> KpiRecord:
    dims: dict[str, str | int] = {}
    for key in rng.sample(DIM_KEYS, rng.randint(0, 4)):
        dims[key] = rng.choice(INTS) if rng.random() < 0.3 else _random_text(rng)
    return KpiRecord(
        _random_text(rng),
        "post_hourly_views",
        "day:2026-11-20",
        _random_value(rng),
        "2026-11-20T12:00:00Z",
        dims,
    )


def test_to_json_equals_json_dumps_on_many_random_records() -> None:
    rng = random.Random(14)
    records = [_random_record(rng) for _ in range(20_000)]
    for record in records:
        assert record.to_json() == reference(record), record
    records.sort(key=lambda r: r.account_id)  # records_jsonl encodes each account once
    assert records_jsonl(records) == "".join(reference(r) + "\n" for r in records)
    assert records_json(records) == [reference(r) for r in records]
    assert records_json(iter(records[:10]), "\n") == [reference(r) + "\n" for r in records[:10]]


def test_every_listed_float_int_and_decimal() -> None:
    for value in [*FLOATS, *INTS, *(Decimal(d) for d in DECIMALS), True, False]:
        record = KpiRecord("rep-1", "ssi_total", "latest", value, "2026-11-20T12:00:00Z")
        assert record.to_json() == reference(record), value
        assert records_jsonl([record]) == reference(record) + "\n"


def test_floats_where_orjson_spells_differently() -> None:
    record = KpiRecord("rep-1", "ad_ctr", "day:2026-11-20", 1e-07, "2026-11-20T12:00:00Z")
    assert '"value":1e-07,' in record.to_json()
    record = record._replace(value=1e16)
    assert '"value":1e+16,' in record.to_json()


def test_a_dims_value_holding_the_separator() -> None:
    records = [
        KpiRecord("a", "k", "total", 1, "2026-11-20T12:00:00Z", {"post_id": "x},{y"}),
        KpiRecord("a", "k", "total", 2, "2026-11-20T12:00:00Z", {}),
        KpiRecord("a", "k", "total", 3, "2026-11-20T12:00:00Z", {"post_id": "},{", "hour": 1}),
    ]
    assert records_jsonl(records) == "".join(reference(r) + "\n" for r in records)


def test_empty_input_and_account_changes() -> None:
    assert records_jsonl([]) == ""
    records = [
        KpiRecord("a", "k", "total", 1, "2026-11-20T12:00:00Z"),
        KpiRecord("a", "k", "total", 2, "2026-11-20T12:00:00Z", {"post_id": "p"}),
        KpiRecord('b"', "k", "total", 0.5, "2026-11-20T12:00:00Z"),
        KpiRecord("a", "k", "total", Decimal("1.20"), "2026-11-20T12:00:00Z"),
    ]
    assert records_jsonl(records) == "".join(reference(r) + "\n" for r in records)


@settings(max_examples=300, deadline=None)
@given(
    account=st.text(),
    value=st.one_of(st.integers(), st.floats(), st.decimals(allow_nan=False, places=4)),
    dims=st.dictionaries(st.sampled_from(DIM_KEYS), st.one_of(st.text(), st.integers())),
)
def test_any_record_serializes_like_json(
    account: str, value: int | float | Decimal, dims: dict[str, str | int]
) -> None:
    record = KpiRecord(account, "post_views", "total", value, "2026-11-20T12:00:00Z", dims)
    assert record.to_json() == reference(record)
    assert records_jsonl([record, record]) == (reference(record) + "\n") * 2
