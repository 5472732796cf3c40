"""KPI record, the output contract v1 shared by replay, Redis and Prometheus."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import orjson

RecordValue = int | float | Decimal
# The reference encoding (compact, UTF-8 kept): a record's JSON is the bytes of
# `_encode(record.to_dict())`. orjson writes the same bytes for a str and for a dict of str
# and int, several times faster; floats are written by `float.__repr__`, which is what json
# does (orjson spells some differently: 1e-07 as 1e-7); whatever orjson refuses (a lone
# surrogate, an integer beyond 64 bits, a non-str key) takes `_encode`.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_dumps = orjson.dumps
_int_repr = int.__repr__
_float_repr = float.__repr__
_encode_sorted = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode


class KpiRecord(NamedTuple):
    """One KPI value; money travels as `Decimal` and is written as a decimal string.

    A NamedTuple rather than a dataclass: evaluation builds hundreds of thousands of them.
    """

    account_id: str
    kpi: str
    period: str
    value: RecordValue
    as_of: str
    dims: dict[str, str | int] = {}  # noqa: RUF012 - never mutated, shared empty default

    def json_value(self) -> int | float | str:
        value = self.value
        if isinstance(value, Decimal):
            return format(value, "f")
        return value

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "kpi": self.kpi,
            "period": self.period,
            "dims": self.dims,
            "value": self.json_value(),
            "as_of": self.as_of,
        }

    def to_json(self) -> str:
        """Compact JSON in the contract's field order (same bytes as dumping `to_dict`)."""
        account_id, kpi, period, value, as_of, dims = self
        try:
            account = _dumps(account_id).decode()
            breakdown = _dumps(dims).decode() if dims else "{}"
        except TypeError:
            account, breakdown = _encode(account_id), _encode(dims)
        kind = type(value)
        if kind is int:
            text = _int_repr(value)
        elif kind is float:
            text = _float_repr(value)
            if text[-1] in "nf":  # nan, inf, -inf: json writes NaN, Infinity, -Infinity
                text = _encode(value)
        else:
            text = _json_value(value)
        return (
            f'{{"account_id":{account},"kpi":"{kpi}","period":"{period}",'
            f'"dims":{breakdown},"value":{text},"as_of":"{as_of}"}}'
        )

    def sort_key(self) -> tuple[str, str, str, tuple[tuple[str, str | int], ...]]:
        """Stable order: a KPI's dims always come in the same keys and types."""
        return (self.account_id, self.kpi, self.period, tuple(self.dims.items()))


class RecordKey(NamedTuple):
    """A record's identity within its account (what an evaluation delta deletes)."""

    kpi: str
    period: str
    dims: dict[str, str | int]


def dims_json(dims: Mapping[str, str | int]) -> str:
    """Dims as compact JSON with sorted keys (the identity part of `record_key`)."""
    return _encode_sorted(dims)


def record_key(record: KpiRecord | RecordKey) -> str:
    """Identity of a record within its account: ``kpi|period|dims`` (dims as `dims_json`),
    the same string as the Redis view's hash field (`sinks.redis.documents.record_field`)."""
    return f"{record.kpi}|{record.period}|{dims_json(record.dims)}"


def _json_value(value: RecordValue) -> str:
    """A record's value as JSON: `json`'s own spelling of ints and floats, money quoted."""
    kind = type(value)
    if kind is int:
        return _int_repr(value)
    if kind is float:
        text = _float_repr(value)
        return text if text[-1] not in "nf" else _encode(value)
    if isinstance(value, Decimal):
        return f'"{value:f}"'  # digits, sign and point (or NaN, Infinity): nothing to escape
    return _encode(value)  # a bool, an int or float subclass: what json makes of it


def records_jsonl(records: Iterable[KpiRecord]) -> str:
    """`record.to_json() + "\n"` for each record, joined: the replay's stdout (about four
    times faster than json). Records of an account come together: its id is encoded once."""
    records = records if isinstance(records, list | tuple) else list(records)
    try:
        return _records_jsonl(records)
    except TypeError:  # something orjson refuses: the record-by-record path
        return "".join([record.to_json() + "\n" for record in records])


def _records_jsonl(records: Sequence[KpiRecord]) -> str:
    """`_records_json` for one joined text: the pieces of every record go straight into one
    list and one join (no string per record: about 20 % less)."""
    parts: list[str] = []
    extend, dumps, int_repr, float_repr = parts.extend, _dumps, _int_repr, _float_repr
    last: str | None = None
    head = ""
    for (account_id, kpi, period, value, as_of, _dims), dims in zip(
        records, _dims_pieces(records), strict=True
    ):
        if account_id is not last:
            last = account_id
            head = f'{{"account_id":{dumps(account_id).decode()},"kpi":"'
        kind = type(value)
        if kind is int:
            text = int_repr(value)
        elif kind is float:
            text = float_repr(value)
            if text[-1] in "nf":
                text = _encode(value)
        else:
            text = _json_value(value)
        extend((head, kpi, _PERIOD, period, _DIMS, dims, _VALUE, text, _AS_OF, as_of, _END))
    return "".join(parts)


_PERIOD, _DIMS, _VALUE, _AS_OF, _END = (
    '","period":"',
    '","dims":{',
    '},"value":',
    ',"as_of":"',
    '"}\n',
)


def _dims_pieces(records: Sequence[KpiRecord]) -> list[str]:
    """Every record's dims as JSON without its braces. One orjson call for all of them, cut
    at the "},{" between two; a dims value holding "},{" shows as one piece too many, and
    then each is encoded alone."""
    if not records:
        return []
    pieces = _dumps([record[5] for record in records]).decode()[2:-2].split("},{")
    if len(pieces) != len(records):
        pieces = [_dumps(record[5]).decode()[1:-1] for record in records]
    return pieces


def records_json(records: Iterable[KpiRecord], end: str = "") -> list[str]:
    """`record.to_json() + end` for each record, in bulk (the Redis view's values)."""
    records = records if isinstance(records, list | tuple) else list(records)
    try:
        return _records_json(records, end)
    except TypeError:  # something orjson refuses: the record-by-record path
        return [record.to_json() + end for record in records]


def _records_json(records: Sequence[KpiRecord], end: str) -> list[str]:
    parts: list[str] = []
    keep, dumps, int_repr, float_repr = parts.append, _dumps, _int_repr, _float_repr
    last: str | None = None
    head = ""
    for (account_id, kpi, period, value, as_of, _dims), dims in zip(
        records, _dims_pieces(records), strict=True
    ):
        if account_id is not last:
            last = account_id
            head = f'{{"account_id":{dumps(account_id).decode()},"kpi":"'
        kind = type(value)
        if kind is int:
            text = int_repr(value)
        elif kind is float:
            text = float_repr(value)
            if text[-1] in "nf":
                text = _encode(value)
        else:
            text = _json_value(value)
        keep(
            f'{head}{kpi}","period":"{period}","dims":{{{dims}}},"value":{text},'
            f'"as_of":"{as_of}"}}{end}'
        )
    return parts
