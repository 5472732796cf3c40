"""Business outcomes: leads to customers, conversion, ROI, CAC, churn, retention, LTV (seed 002).

Formulas are the spec's (seed 002's worked examples are inconsistent with its own formulas):
ROI = (revenue - ad spend) / ad spend; CAC = ad spend / customers won;
churn = (customers at start - customers at end) / customers at start, retention = 1 - churn,
where customers = customers won - customers churned, cumulated over retained history;
LTV = average order value x orders per customer in the period x retention periods (1 / churn).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from operator import itemgetter

from kpis import ads
from kpis.config import EngineConfig
from kpis.daily import day_expired, last_expired_day
from kpis.emit import (
    Emitter,
    bucket_next_change,
    earliest,
    money,
    next_after,
    ratio,
    retained_day_cutoff,
)
from kpis.state import AccountState, Outcome
from kpis.timeutil import DAY_US, day_of, day_of_date, period_labels
from models.events import OutcomeRecorded

OUTCOME_KPI = {
    "lead": "leads",
    "meeting": "meetings",
    "proposal": "proposals",
    "customer_won": "customers_won",
    "customer_churned": "customers_churned",
}
PERIODS = ("week", "month")
_ZERO = Decimal(0)


def on_outcome(st: AccountState, ev: OutcomeRecorded, t: int, cfg: EngineConfig) -> bool:
    if day_expired(st, day_of(t), cfg.bucket_retention_us):
        return False
    value = Decimal(ev.value) if ev.value is not None else None
    st.outcomes[ev.event_id] = (t, Outcome(ev.kind, ev.channel, ev.prospect_id, value, ev.currency))
    st.touch("outcomes", ev.event_id)
    return True


class _PeriodTotals:
    """Everything the outcome KPIs of one period need."""

    __slots__ = ("by_kind", "end_day", "orders", "revenue", "won", "won_prospects")

    def __init__(self, end_day: int) -> None:
        self.end_day = end_day
        self.by_kind: dict[tuple[str, str], int] = defaultdict(int)  # (kind, channel)
        self.revenue: dict[str, Decimal] = defaultdict(lambda: _ZERO)
        self.orders: dict[str, int] = defaultdict(int)  # won events carrying a value
        self.won = 0
        self.won_prospects: set[str] = set()


def evaluate(st: AccountState, emit: Emitter, cfg: EngineConfig) -> None:
    as_of = emit.as_of
    first_day, last_day = retained_day_cutoff(as_of, cfg.bucket_retention_us), day_of(as_of)
    periods: dict[str, _PeriodTotals] = {}
    net_by_day: dict[int, int] = defaultdict(int)
    for t, outcome in st.outcomes.values():
        day = day_of(t)
        if not first_day <= day <= last_day or t > as_of:
            continue
        won = outcome.kind == "customer_won"
        net_by_day[day] += 1 if won else -1 if outcome.kind == "customer_churned" else 0
        for label, end_day in period_labels(day, PERIODS):
            totals = periods.setdefault(label, _PeriodTotals(end_day))
            totals.by_kind[(outcome.kind, outcome.channel)] += 1
            if won:
                totals.won += 1
                totals.won_prospects.add(outcome.prospect)
                if outcome.value is not None:
                    totals.revenue[outcome.currency] += outcome.value
                    totals.orders[outcome.currency] += 1
    contacted = _contacted(st, first_day, last_day)
    spend = _spend(st, as_of, cfg)
    for label, totals in periods.items():
        _emit_counts(emit, label, totals)
        emit("conversion_rate", label, ratio(totals.won, len(contacted.get(label, ()))))
        churn = _churn(net_by_day, label, totals.end_day)
        if churn is not None:
            emit("churn_rate", label, churn)
            emit("retention_rate", label, 1.0 - churn)
        for currency, revenue in totals.revenue.items():
            emit("revenue", label, revenue, currency=currency)
            cost = spend.get((label, currency), _ZERO)
            if cost:
                emit("roi", label, float((revenue - cost) / cost), currency=currency)
            if churn is not None and churn > 0 and totals.won_prospects:
                average = revenue / totals.orders[currency]
                per_customer = Decimal(totals.won) / len(totals.won_prospects)
                emit(
                    "ltv", label, money(average * per_customer / Decimal(churn)), currency=currency
                )
        for (spend_label, currency), cost in spend.items():
            if spend_label == label and totals.won and cost:
                emit("cac", label, money(cost / totals.won), currency=currency)
    for label, members in contacted.items():
        emit("prospects_contacted", label, len(members))


def _emit_counts(emit: Emitter, label: str, totals: _PeriodTotals) -> None:
    all_channels: dict[str, int] = defaultdict(int)
    for (kind, channel), n in totals.by_kind.items():
        emit(OUTCOME_KPI[kind], label, n, channel=channel)
        all_channels[kind] += n
    for kind, n in all_channels.items():
        emit(OUTCOME_KPI[kind], label, n)


def _churn(net_by_day: dict[int, int], label: str, end_day: int) -> float | None:
    start_day = _start_day(label, end_day)
    at_start = sum(n for day, n in net_by_day.items() if day < start_day)
    at_end = sum(n for day, n in net_by_day.items() if day < end_day)
    return ratio(at_start - at_end, at_start) if at_start > 0 else None


def _start_day(label: str, end_day: int) -> int:
    if label.startswith("week:"):
        return end_day - 7
    year, month = label.removeprefix("month:").split("-")
    return day_of_date(date(int(year), int(month), 1))


def _contacted(st: AccountState, first_day: int, last_day: int) -> dict[str, set[str]]:
    by_day: dict[int, list[str]] = {}
    for day, member_id in st.contacted:
        if first_day <= day <= last_day:
            members = by_day.get(day)
            if members is None:
                by_day[day] = [member_id]
            else:
                members.append(member_id)
    contacted: dict[str, set[str]] = defaultdict(set)
    for day, members in by_day.items():
        for label, _end in period_labels(day, PERIODS):
            contacted[label].update(members)
    return contacted


def _spend(st: AccountState, as_of: int, cfg: EngineConfig) -> dict[tuple[str, str], Decimal]:
    spend: dict[tuple[str, str], Decimal] = defaultdict(lambda: _ZERO)
    for (day, currency), cost in ads.spend_by_day(st, as_of, cfg).items():
        for label, _end in period_labels(day, PERIODS):
            spend[(label, currency)] += cost
    return spend


def next_change(st: AccountState, as_of: int, cfg: EngineConfig) -> int | None:
    """When `evaluate` may change with no event: an outcome reaches as_of or its day leaves
    retention, a day of contacts enters or leaves it, the ad spend changes (`ads`)."""
    retention = cfg.bucket_retention_us
    times = [t for t, _outcome in st.outcomes.values()]
    days = {t // DAY_US for t in times} | {day for day, _member in st.contacted}
    return earliest(
        next_after(as_of, times, (0,)),
        bucket_next_change(as_of, days, retention),
        ads.spend_next_change(st, as_of, cfg),
    )


def prune(st: AccountState, cfg: EngineConfig) -> None:
    last_day = last_expired_day(st, cfg.bucket_retention_us)  # day_expired: day <= last_day
    if not st.outcomes or min(map(itemgetter(0), st.outcomes.values())) // DAY_US > last_day:
        return
    expired = [event_id for event_id, (t, _) in st.outcomes.items() if t // DAY_US <= last_day]
    for event_id in expired:
        del st.outcomes[event_id]
        st.touch("outcomes", event_id)
