"""Synthetic invitation KPI records of one account at one evaluation, shaped like the engine's
(``kpis/invitations.py``): the rolling 96 h cohort and day cohorts."""

from __future__ import annotations

from datetime import timedelta

from kpis.timeutil import US, format_ts, from_us, parse_ts
from models.records import KpiRecord

T0 = "2026-11-20T12:00:00Z"


def as_of(step: int, minutes_per_step: int = 1) -> str:
    """The evaluation time of a step (steps are minutes apart, from T0)."""
    return format_ts(parse_ts(T0) + step * minutes_per_step * 60 * US)


def cohort(account: str, at: str, period: str, sent: int, accepted: int) -> list[KpiRecord]:
    out = [
        KpiRecord(account, "invitation_cohort_sent", period, sent, at),
        KpiRecord(account, "invitation_cohort_accepted", period, accepted, at),
        KpiRecord(account, "invitation_cohort_withdrawn", period, 0, at),
        KpiRecord(account, "invitation_cohort_pending", period, sent - accepted, at),
    ]
    if sent:
        out.append(KpiRecord(account, "invitation_acceptance_rate", period, accepted / sent, at))
    return out


def day(at: str, days_back: int) -> str:
    return "day:" + (from_us(parse_ts(at)) - timedelta(days=days_back)).date().isoformat()


def account_records(
    account: str,
    at: str,
    sent: int,
    accepted: int,
    older: tuple[int, int] = (0, 0),
    outside: tuple[int, int] = (40, 40),
) -> list[KpiRecord]:
    """The 96 h cohort (sent/accepted, all sent today), an older day cohort inside the 28-day
    baseline window (`older`, 10 days back) and one outside it (`outside`, 40 days back)."""
    records = cohort(account, at, "rolling_96h", sent, accepted)
    records += cohort(account, at, day(at, 0), sent, accepted)
    if older[0]:
        records += cohort(account, at, day(at, 10), *older)
    if outside[0]:
        records += cohort(account, at, day(at, 40), *outside)
    records.append(KpiRecord(account, "invitations_sent", "rolling_24h", sent, at))
    return records
