"""The account's own 28-day acceptance baseline, from the KPI records the engine already emits.

The engine has no 28-day record (the spec fixes KPI names and periods), but it emits one
invitation cohort per UTC send day (``invitation_cohort_sent`` / ``_accepted`` with period
``day:YYYY-MM-DD``, kept 400 days). The baseline is the pooled rate of the cohorts of the
``BASELINE_DAYS`` UTC days ending with the day of ``as_of`` (that day included, so it
covers the current 96 h cohort too):

    baseline = sum(accepted) / sum(sent)   over day cohorts with  as_of_day - 27 <= day <= as_of_day

Pooled (not a mean of daily rates) so that busy days weigh what they weigh. The exporter
(`sinks.prometheus.collector`) and the worker's evaluator (`alerting.evaluator`) both call
`acceptance_baseline`, which is what keeps Prometheus and the worker in agreement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from kpis.timeutil import day_of, parse_ts
from models.records import KpiRecord

BASELINE_DAYS = 28
# The exporter's gauges of it (docs/metrics.md), label account_id only: not a KPI record, so
# no `period` (its window is fixed: BASELINE_DAYS day cohorts).
RATIO_METRIC = "linkedin_invitation_acceptance_baseline_ratio"
SENT_METRIC = "linkedin_invitation_baseline_cohort_sent"
EPOCH_DATE = date(1970, 1, 1)
SENT, ACCEPTED = "invitation_cohort_sent", "invitation_cohort_accepted"


@dataclass(frozen=True, slots=True)
class Baseline:
    """Pooled day cohorts of the window: ``ratio`` is None when nothing was sent."""

    sent: int
    accepted: int
    first_day: date
    last_day: date

    @property
    def ratio(self) -> float | None:
        return self.accepted / self.sent if self.sent else None


def acceptance_baseline(records: Iterable[KpiRecord], days: int = BASELINE_DAYS) -> Baseline | None:
    """The baseline of one account's records (one evaluation: they share ``as_of``); None
    when no day cohort falls in the window (an account without invitation data)."""
    window: tuple[date, date] | None = None
    sent = accepted = 0
    seen = False
    for record in records:
        if record.kpi not in (SENT, ACCEPTED) or not record.period.startswith("day:"):
            continue
        if window is None:
            last = EPOCH_DATE + timedelta(days=day_of(parse_ts(record.as_of)))
            window = (last - timedelta(days=days - 1), last)
        day = date.fromisoformat(record.period[4:])
        if record.dims or not window[0] <= day <= window[1]:
            continue
        seen = True
        if record.kpi == SENT:
            sent += int(record.value)
        else:
            accepted += int(record.value)
    if window is None or not seen:
        return None
    return Baseline(sent, accepted, window[0], window[1])
