"""KPI record, the output contract v1 shared by replay, Redis and Prometheus."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

RecordValue = int | float | Decimal
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
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
        return (
            f'{{"account_id":{_encode(self.account_id)},"kpi":"{self.kpi}",'
            f'"period":"{self.period}","dims":{_encode(self.dims)},'
            f'"value":{_encode(self.json_value())},"as_of":"{self.as_of}"}}'
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
    the same string as the Redis view's hash field (`sinks.redis_view.record_field`)."""
    return f"{record.kpi}|{record.period}|{dims_json(record.dims)}"
