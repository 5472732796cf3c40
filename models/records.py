"""KPI record, the output contract v1 shared by replay, Redis and Prometheus."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

RecordValue = int | float | Decimal


@dataclass(frozen=True, slots=True)
class KpiRecord:
    """One KPI value; money travels as `Decimal` and is written as a decimal string."""

    account_id: str
    kpi: str
    period: str
    value: RecordValue
    as_of: str
    dims: dict[str, str | int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        value: Any = self.value
        if isinstance(value, Decimal):
            value = format(value, "f")
        return {
            "account_id": self.account_id,
            "kpi": self.kpi,
            "period": self.period,
            "dims": self.dims,
            "value": value,
            "as_of": self.as_of,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    def sort_key(self) -> tuple[str, str, str, tuple[tuple[str, str | int], ...]]:
        """Stable order: a KPI's dims always come in the same keys and types."""
        return (self.account_id, self.kpi, self.period, tuple(self.dims.items()))
