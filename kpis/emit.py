"""Record building and calendar roll-ups shared by every KPI family."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TypeVar

from kpis.timeutil import DAY_US, day_of, period_labels
from models.records import KpiRecord, RecordValue

_MONEY_QUANTUM = Decimal("0.000001")
# `KpiRecord(...)` without the Python-level `__new__` of a NamedTuple (evaluation builds
# hundreds of thousands of records).
_new_record = tuple.__new__
Summable = TypeVar("Summable", int, Decimal)


def money(amount: Decimal) -> Decimal:
    """Derived money (CPM, CPC, ...) rounded half-even to 6 decimals, as the spec says."""
    return amount.quantize(_MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)


def ratio(numerator: float | int | Decimal, denominator: float | int | Decimal) -> float | None:
    """A ratio, or None (no record) when the denominator is zero."""
    if not denominator:
        return None
    return float(numerator) / float(denominator)


class Emitter:
    """Collects the records of one account at one `as_of`."""

    __slots__ = ("account_id", "as_of", "as_of_label", "records")

    def __init__(self, account_id: str, as_of: int, as_of_label: str) -> None:
        self.account_id = account_id
        self.as_of = as_of
        self.as_of_label = as_of_label
        self.records: list[KpiRecord] = []

    def __call__(self, kpi: str, period: str, value: RecordValue | None, **dims: str | int) -> None:
        if value is None:
            return
        self.records.append(
            _new_record(KpiRecord, (self.account_id, kpi, period, value, self.as_of_label, dims))
        )

    def add(self, kpi: str, period: str, value: RecordValue, dims: dict[str, str | int]) -> None:
        """One record with a ready `dims` (records may share it: dims are never mutated)."""
        self.records.append(
            _new_record(KpiRecord, (self.account_id, kpi, period, value, self.as_of_label, dims))
        )


def retained_day_cutoff(as_of: int, retention_us: int) -> int:
    """First day index whose bucket is still retained at `as_of` (its end is after the cutoff)."""
    return (as_of - retention_us) // DAY_US


def rollup(
    by_day: Iterable[tuple[int, Summable]],
    kinds: tuple[str, ...],
    as_of: int,
    retention_us: int,
) -> dict[str, Summable]:
    """Sum day buckets into day/week/month periods, keeping only retained, elapsed days."""
    first_day = retained_day_cutoff(as_of, retention_us)
    last_day = day_of(as_of)
    totals: dict[str, Summable] = {}
    for day, value in by_day:
        if day < first_day or day > last_day:
            continue
        for label, _end in period_labels(day, kinds):
            totals[label] = totals[label] + value if label in totals else value
    return totals


def next_after(as_of: int, times: Iterable[int], offsets: Iterable[int]) -> int | None:
    """The earliest `t + offset` after `as_of` over every time and offset (None: none).

    The change points of an evaluation: a condition `t <= as_of` changes at `as_of = t`,
    `t > as_of - length` (a rolling window) at `t + length`, `t < as_of - length` at
    `t + length + 1`; an evaluator's next change is the earliest of its conditions'."""
    ordered = sorted(times)
    if not ordered:
        return None
    best: int | None = None
    last = len(ordered)
    for offset in offsets:
        index = bisect_right(ordered, as_of - offset)  # the first t with t + offset > as_of
        if index < last:
            candidate = ordered[index] + offset
            if best is None or candidate < best:
                best = candidate
    return best


def bucket_next_change(as_of: int, days: Iterable[int], retention_us: int) -> int | None:
    """When `rollup` of day buckets may change with no new bucket: a day it does not include
    yet begins (at or before as_of only), or the oldest included one leaves retention."""
    # day d is included from as_of = d * DAY_US until as_of = (d + 1) * DAY_US + retention
    return next_after(as_of, (day * DAY_US for day in days), (0, DAY_US + retention_us))


def earliest(*times: int | None) -> int | None:
    """The smallest of the times that are not None (None when all are)."""
    known = [t for t in times if t is not None]
    return min(known) if known else None


def group_daily(
    daily: dict[tuple[str | int, ...], int],
) -> dict[str, dict[tuple[str | int, ...], list[tuple[int, int]]]]:
    """(metric, day, *dims) counters -> metric -> dims -> [(day, count)]."""
    grouped: dict[str, dict[tuple[str | int, ...], list[tuple[int, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for key, count in daily.items():
        metric, day, dims = key[0], key[1], key[2:]
        grouped[str(metric)][dims].append((int(day), count))
    return grouped


def quantile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (the common 'type 7' definition)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def _within_account(record: KpiRecord) -> tuple[str | int, ...]:
    """`KpiRecord.sort_key` without the account (the same for every record of an account).
    A KPI's dims always have the same keys in the same order, so their values alone order
    them: half the cost of comparing (key, value) pairs."""
    return (record[1], record[2], *record[5].values())


def _within_account_by_items(
    record: KpiRecord,
) -> tuple[str, str, tuple[tuple[str, str | int], ...]]:
    return (record[1], record[2], tuple(record[5].items()))


def sort_records(records: list[KpiRecord]) -> list[KpiRecord]:
    """Sort one account's records in place in `Engine.evaluate`'s order; returns them."""
    try:
        records.sort(key=_within_account)
    except TypeError:  # a KPI whose dims varied in keys: compare the items instead
        records.sort(key=_within_account_by_items)
    return records
