"""The Prometheus exporter, scraped over HTTP on a free loopback port and linted by promtool."""

from __future__ import annotations

import io
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sink_data import (
    AS_OF,
    INVITEE_IDS,
    MEMBER_IDS,
    curve_records,
    full_details,
    full_records,
    scrape,
)

from kpis.replay import replay
from kpis.timeutil import parse_ts
from models.records import KpiRecord
from sinks.prometheus.catalog import KPI_METRICS, fallback_spec
from sinks.prometheus.collector import period_kind
from sinks.prometheus.exporter import PrometheusExporter

SAMPLE = Path(__file__).resolve().parents[2] / "cli" / "sample" / "events.jsonl"
MEMBER_FIELDS = ("actor_id", "invitee_id", "recipient_id", "sender_id", "prospect_id")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def promtool_check(promtool: str, text: str) -> None:
    done = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


ADS = {"campaign_id": "cmp-1", "creative_id": "crv-1", "format": "video", "currency": "EUR"}


# --------------------------------------------------------------------------- naming rules


def test_names_follow_prometheus_conventions() -> None:
    for kpi, spec in KPI_METRICS.items():
        assert re.fullmatch(r"linkedin_[a-z0-9_]+", spec.name), kpi
        assert not spec.name.endswith(("_total", "_count", "_sum", "_bucket")), kpi
        if spec.unit == "ratio":
            assert spec.name.endswith("_ratio"), kpi
        if spec.name.endswith("_ratio"):
            assert spec.unit == "ratio", kpi
        if spec.unit == "seconds":
            assert spec.name.endswith("_seconds"), kpi
    assert KPI_METRICS["invitations_sent"].name == "linkedin_invitations_sent"
    assert KPI_METRICS["invitation_acceptance_rate"].name == "linkedin_invitation_acceptance_ratio"
    names = [spec.name for spec in KPI_METRICS.values()]
    assert len(names) == len(set(names))


def test_fallback_names() -> None:
    assert fallback_spec("new_thing_rate", 0.5).name == "linkedin_new_thing_ratio"
    assert fallback_spec("widgets_total", 3).name == "linkedin_widgets_total_value"
    money = fallback_spec("ad_cost_per_widget", Decimal("1.5"))
    assert money.unit == "money" and money.name == "linkedin_ad_cost_per_widget"


def test_period_kinds() -> None:
    assert period_kind("day:2026-11-20", AS_OF) == "day"
    assert period_kind("day:2026-11-19", AS_OF) is None
    assert period_kind("week:2026-W47", AS_OF) == "week"
    assert period_kind("week:2026-W46", AS_OF) is None
    assert period_kind("month:2026-11", AS_OF) == "month"
    assert period_kind("month:2026-10", AS_OF) is None
    for fixed in ("rolling_24h", "rolling_96h", "rolling_7d", "rolling_30d", "latest", "total"):
        assert period_kind(fixed, AS_OF) == fixed
    assert period_kind("year:2026", AS_OF) is None


# --------------------------------------------------------------------------- scrape


async def test_scrape_names_labels_values(exporter: PrometheusExporter, promtool: str) -> None:
    await exporter.publish("rep-7", full_records("rep-7"), full_details())
    await exporter.flush({"last_evaluation_s": 0.3, "last_evaluation_records": 99, "accounts": 1})
    text = scrape(exporter)
    found = samples(text)

    assert value(found, "linkedin_invitations_sent", account_id="rep-7", period="day") == 7
    assert value(found, "linkedin_invitations_sent", account_id="rep-7", period="week") == 18
    assert value(found, "linkedin_invitations_sent", account_id="rep-7", period="month") == 48
    assert value(found, "linkedin_invitations_sent", account_id="rep-7", period="rolling_24h") == 9
    ratio = "linkedin_invitation_acceptance_ratio"
    assert value(found, ratio, account_id="rep-7", period="rolling_96h") == 0.25
    assert value(found, "linkedin_connections", account_id="rep-7", period="latest") == 812
    assert value(found, "linkedin_ssi_score", account_id="rep-7", period="latest") == 61.5
    rank = value(found, "linkedin_ssi_industry_rank_ratio", account_id="rep-7", period="latest")
    assert rank == pytest.approx(0.05)
    spend = value(found, "linkedin_ad_spend", account_id="rep-7", period="day", **ADS)
    assert spend == pytest.approx(18.40)
    assert value(found, "linkedin_ad_click_through_ratio", account_id="rep-7", period="day", **ADS)
    p90 = "linkedin_time_to_first_reply_p90_seconds"
    assert value(found, p90, account_id="rep-7", period="rolling_7d") == 7200.0
    bucket = "linkedin_actors_by_interactions"
    assert value(found, bucket, account_id="rep-7", period="total", bucket="4") == 3
    assert value(found, "linkedin_leads", account_id="rep-7", period="week", channel="ads") == 2
    all_channels = {"account_id": "rep-7", "period": "week", "channel": ""}  # "" = absent
    assert value(found, "linkedin_leads", **all_channels) == 3
    views = "linkedin_post_views"
    assert value(found, views, account_id="rep-7", period="total", post_id="post-2") == 490
    as_of = value(found, "socialkpi_snapshot_as_of_timestamp_seconds", account_id="rep-7")
    assert as_of == parse_ts(AS_OF) / 1e6

    # Worker health set by flush() from the summary.
    assert value(found, "socialkpi_evaluation_duration_seconds_count") == 1
    assert value(found, "socialkpi_evaluation_duration_seconds_sum") == pytest.approx(0.3)
    assert value(found, "socialkpi_evaluation_records") == 99
    assert value(found, "socialkpi_accounts") == 1
    assert value(found, "socialkpi_last_evaluation_timestamp_seconds") > 1.7e9

    # Types: every KPI metric is a gauge; no KPI metric is a counter.
    types = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert all(t == "gauge" for n, t in types.items() if n.startswith("linkedin_"))
    # Never the hourly curve, never an hour label.
    assert "post_hourly" not in text and "post_cumulative" not in text and "hour=" not in text
    promtool_check(promtool, text)


async def test_historical_periods_are_not_exported(exporter: PrometheusExporter) -> None:
    await exporter.publish("rep-7", full_records("rep-7"), full_details())
    await exporter.flush({})
    found = samples(scrape(exporter))
    series = [labels for name, labels in found if name == "linkedin_invitations_sent"]
    assert sorted(dict(labels)["period"] for labels in series) == [
        "day",
        "month",
        "rolling_24h",
        "week",
    ]
    spend = [labels for name, labels in found if name == "linkedin_ad_spend"]
    assert len(spend) == 1  # 2026-11-19 is history
    ratio = [labels for name, labels in found if name == "linkedin_invitation_acceptance_ratio"]
    assert [dict(labels)["period"] for labels in ratio] == ["rolling_96h"]  # day:11-18 is past
    text = scrape(exporter)
    assert "2026-11-19" not in text and "2026-W46" not in text and "2026-10" not in text


async def test_member_ids_never_exported(exporter: PrometheusExporter, promtool: str) -> None:
    # A breakdown that is not an allowed label (say, a member) is dropped, not exported.
    odd = KpiRecord("rep-7", "odd_kpi", "total", 1, AS_OF, {"actor_id": MEMBER_IDS[0]})
    records = [*full_records("rep-7"), odd]
    await exporter.publish("rep-7", records, full_details())
    await exporter.flush({})
    text = scrape(exporter)
    for member_id in (*MEMBER_IDS, *INVITEE_IDS):
        assert member_id not in text
    assert "odd_kpi" not in text and "actor_id" not in text
    promtool_check(promtool, text)


async def test_only_recent_posts_are_exported(promtool: str) -> None:
    ex = PrometheusExporter(recent_posts=3, process_metrics=False)
    ex.start_http(0)
    try:
        records: list[KpiRecord] = []
        # Curves of 48 hours: older posts; curves of h < 48 hours: published h hours ago.
        for post, hours in (
            ("old-a", 48),
            ("old-b", 48),
            ("p-10h", 11),
            ("p-2h", 3),
            ("p-30h", 31),
        ):
            records += curve_records("rep-7", post, hours)
        records.append(KpiRecord("rep-7", "post_views", "total", 5, AS_OF, {"post_id": "unpub"}))
        await ex.publish("rep-7", records, None)
        await ex.flush({})
        text = scrape(ex)
        found = samples(text)
        posts = {dict(labels)["post_id"] for name, labels in found if name == "linkedin_post_views"}
        assert posts == {"p-2h", "p-10h", "p-30h"}

        # Publication times from the details win over the estimate.
        details = {
            "posts": [
                {"post_id": "old-a", "published_at": "2026-11-20T11:00:00Z"},
                {"post_id": "unpub", "published_at": parse_ts("2026-11-20T11:30:00Z")},
            ]
        }
        await ex.publish("rep-7", records, details)
        await ex.flush({})
        found = samples(scrape(ex))
        posts = {dict(labels)["post_id"] for name, labels in found if name == "linkedin_post_views"}
        assert posts == {"unpub", "old-a", "p-2h"}
        promtool_check(promtool, text)
    finally:
        await ex.close()


async def test_accounts_not_published_in_an_evaluation_disappear(
    exporter: PrometheusExporter,
) -> None:
    await exporter.publish("rep-7", full_records("rep-7"), None)
    await exporter.publish("rep-8", full_records("rep-8"), None)
    # Before the first flush nothing is exported (the evaluation is not complete).
    assert "linkedin_connections{" not in scrape(exporter)
    await exporter.flush({})
    assert 'account_id="rep-8"' in scrape(exporter)
    await exporter.publish("rep-7", full_records("rep-7"), None)
    await exporter.flush({})
    text = scrape(exporter)
    assert 'account_id="rep-7"' in text and 'account_id="rep-8"' not in text


async def test_worker_health_metrics(exporter: PrometheusExporter, promtool: str) -> None:
    worker = exporter.worker
    worker.event_processed("post.interaction", 5)
    worker.event_processed("invitation.sent")
    worker.dead_letter("malformed_json")
    worker.dead_letter("oversize", 2)
    worker.late_event("post.snapshot")
    worker.duplicate_event("invitation.sent", 3)
    worker.set_consumer_lag("linkedin.ads", 2, 17)
    worker.evaluation_duration.observe(0.02)
    for n in range(100):  # unbounded reasons collapse to "other"
        worker.dead_letter(f"reason-{n}")
    text = scrape(exporter)
    found = samples(text)
    assert value(found, "socialkpi_events_processed_total", type="post.interaction") == 5
    assert value(found, "socialkpi_events_processed_total", type="invitation.sent") == 1
    assert value(found, "socialkpi_dead_letters_total", reason="oversize") == 2
    assert value(found, "socialkpi_late_events_total", type="post.snapshot") == 1
    assert value(found, "socialkpi_duplicate_events_total", type="invitation.sent") == 3
    assert value(found, "socialkpi_consumer_lag", topic="linkedin.ads", partition="2") == 17
    assert value(found, "socialkpi_evaluation_duration_seconds_bucket", le="0.025") == 1
    reasons = {
        dict(labels)["reason"] for name, labels in found if name == "socialkpi_dead_letters_total"
    }
    assert len(reasons) <= 64 + 1 and "other" in reasons
    assert "process_cpu_seconds_total" in text  # process metrics of the worker
    promtool_check(promtool, text)


# --------------------------------------------------------------------------- real engine


async def test_sample_through_the_engine(exporter: PrometheusExporter, promtool: str) -> None:
    records, _, engine = replay([str(SAMPLE)], errors=io.StringIO())
    as_of = parse_ts(records[0].as_of)
    for account in sorted({r.account_id for r in records}):
        mine = [r for r in records if r.account_id == account]
        await exporter.publish(account, mine, engine.details(account, as_of))
    await exporter.flush({"last_evaluation_s": 0.5})
    text = scrape(exporter)
    promtool_check(promtool, text)

    member_ids: set[str] = set()
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        member_ids |= {event[f] for f in MEMBER_FIELDS if isinstance(event.get(f), str)}
    assert member_ids and not [m for m in member_ids if m in text]

    found = samples(text)
    labels_seen = {label for _, labels in found for label, _ in labels}
    allowed = {
        "account_id", "period", "post_id", "campaign_id", "creative_id", "format", "currency",
        "card_index", "channel", "bucket", "type", "reason", "topic", "partition", "le",
        "implementation", "major", "minor", "patchlevel", "version", "generation",
    }  # fmt: skip
    assert labels_seen <= allowed
    periods = {dict(labels).get("period") for _, labels in found} - {None}
    assert periods <= {
        "day", "week", "month", "rolling_24h", "rolling_96h", "rolling_7d", "rolling_30d",
        "latest", "total",
    }  # fmt: skip
    posts = {dict(labels)["post_id"] for _, labels in found if "post_id" in dict(labels)}
    assert 0 < len(posts) <= 20 * 2  # at most 20 per account


def test_every_metric_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text("utf-8")
    names = [spec.name for kpi, spec in KPI_METRICS.items() if kpi != "time_to_first_reply_seconds"]
    names += [
        "linkedin_time_to_first_reply_p50_seconds",
        "linkedin_time_to_first_reply_p90_seconds",
    ]
    ex = PrometheusExporter(process_metrics=False)
    names += [
        f"{family.name}_total" if family.type == "counter" else family.name
        for family in ex.registry.collect()
        if family.name.startswith("socialkpi_")
    ]
    names.append("socialkpi_snapshot_as_of_timestamp_seconds")
    for kpi in KPI_METRICS:
        assert f"`{kpi}`" in doc, kpi
    missing = [name for name in names if f"`{name}`" not in doc]
    assert missing == []
