"""The exporter's 28-day acceptance baseline gauges (alerting.baseline over the day cohorts)."""

from __future__ import annotations

import subprocess

from prometheus_client.parser import text_string_to_metric_families
from sink_data import scrape

from alerting.baseline import acceptance_baseline
from models.records import KpiRecord
from sinks.prometheus.exporter import PrometheusExporter

AS_OF = "2026-11-20T12:00:00Z"
RATIO = "linkedin_invitation_acceptance_baseline_ratio"
SENT = "linkedin_invitation_baseline_cohort_sent"


def cohort(day: str, sent: int, accepted: int, account: str = "rep-7") -> list[KpiRecord]:
    period = f"day:{day}"
    out = [
        KpiRecord(account, "invitation_cohort_sent", period, sent, AS_OF),
        KpiRecord(account, "invitation_cohort_accepted", period, accepted, AS_OF),
    ]
    if sent:
        out.append(KpiRecord(account, "invitation_acceptance_rate", period, accepted / sent, AS_OF))
    return out


def found(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_window_is_the_28_days_ending_with_as_of_day() -> None:
    records = (
        cohort("2026-11-20", 10, 2)  # as_of's day: in
        + cohort("2026-10-24", 20, 10)  # 27 days before: in (first day of the window)
        + cohort("2026-10-23", 50, 50)  # 28 days before: out
        + cohort("2026-11-21", 50, 0)  # after as_of (cannot happen, still ignored): out
        + [KpiRecord("rep-7", "invitation_cohort_sent", "rolling_96h", 999, AS_OF)]
    )
    baseline = acceptance_baseline(records)
    assert baseline is not None
    assert (baseline.sent, baseline.accepted) == (30, 12)
    assert baseline.ratio == 12 / 30
    assert (baseline.first_day.isoformat(), baseline.last_day.isoformat()) == (
        "2026-10-24",
        "2026-11-20",
    )
    assert acceptance_baseline(cohort("2026-10-01", 5, 1)) is None  # nothing in the window
    empty = acceptance_baseline(cohort("2026-11-19", 0, 0))
    assert empty is not None and empty.sent == 0 and empty.ratio is None


async def test_baseline_gauges_scraped_and_linted(
    exporter: PrometheusExporter, promtool: str
) -> None:
    records = (
        cohort("2026-11-20", 10, 2) + cohort("2026-11-01", 30, 18) + cohort("2026-09-01", 9, 9)
    )
    await exporter.publish("rep-7", records, None)
    await exporter.publish("rep-8", cohort("2026-11-19", 0, 0, "rep-8"), None)
    await exporter.publish("rep-9", [KpiRecord("rep-9", "connections", "latest", 5, AS_OF)], None)
    await exporter.flush({})
    text = scrape(exporter)
    samples = found(text)
    rep7 = frozenset({("account_id", "rep-7")})
    assert samples[(RATIO, rep7)] == 20 / 40
    assert samples[(SENT, rep7)] == 40
    rep8 = frozenset({("account_id", "rep-8")})
    assert samples[(SENT, rep8)] == 0
    assert (RATIO, rep8) not in samples  # zero denominator: absent, never 0
    assert not any(
        dict(labels).get("account_id") == "rep-9"
        for name, labels in samples
        if name in (RATIO, SENT)
    )
    types = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert types[RATIO] == types[SENT] == "gauge"
    done = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
