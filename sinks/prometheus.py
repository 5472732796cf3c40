"""Prometheus exporter: KPI gauges rendered from the latest records, plus worker health.

`PrometheusExporter` is a `streams.publisher.RecordsPublisher`: ``publish()`` turns an
account's records into samples once per evaluation (no per-event work), ``flush()`` makes
the evaluation's samples the current ones, and every scrape renders them through a custom
collector. Worker health metrics (`WorkerMetrics`) are ordinary counters, gauges and a
histogram the worker increments. Every metric is documented in ``docs/metrics.md``.

Naming (Prometheus conventions): KPI metrics start with ``linkedin_``, worker metrics with
``socialkpi_``. KPI windowed counts are gauges (they go down when a window moves), so they
carry no ``_total``; ratios end in ``_ratio`` (fractions), durations in ``_seconds``, money
is a gauge in the record's currency (``currency`` label).

Labels are bounded: ``account_id``; ``period`` = ``day``, ``week``, ``month`` (only the
CURRENT day/week/month at the record's ``as_of``: historical periods are not exported),
``rolling_24h``, ``rolling_96h``, ``rolling_7d``, ``rolling_30d``, ``latest`` or ``total``;
the ads dims ``campaign_id``, ``creative_id``, ``format``, ``currency`` (``card_index`` for
carousel cards); ``channel`` and ``bucket`` (small enums); ``post_id`` only for the N most
recent posts (default 20). Member ids never reach a label, and the hourly post curves stay
in Redis (a per-post gauge's history is its curve).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import start_http_server
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from alerting.baseline import RATIO_METRIC, SENT_METRIC, acceptance_baseline
from kpis.timeutil import HOUR_US, US, day_info, day_of, parse_ts
from models.records import KpiRecord
from sinks.settings import SinkSettings

FIXED_PERIODS = frozenset(
    {"rolling_24h", "rolling_96h", "rolling_7d", "rolling_30d", "latest", "total"}
)
CALENDAR_PERIODS = ("day", "week", "month")
# Record dims exported as labels (all bounded); anything else (hour, member ids, ...) is not.
LABEL_DIMS = frozenset(
    {"post_id", "campaign_id", "creative_id", "format", "currency", "card_index", "channel"}
    | {"bucket"}
)
CURVE_HOURS = 48
BASE_LABELS = ("account_id", "period")
SNAPSHOT_METRIC = "socialkpi_snapshot_as_of_timestamp_seconds"
SNAPSHOT_HELP = "Evaluation time (as_of) of the account's exported KPI records (Unix time)."


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """How one KPI is exported: metric name, unit, help text, and a scale factor."""

    name: str
    unit: str  # count, ratio, money, seconds, score, flag
    help: str
    scale: float = 1.0


def _m(name: str, unit: str, help_text: str, scale: float = 1.0) -> MetricSpec:
    return MetricSpec("linkedin_" + name, unit, help_text, scale)


# Every KPI of docs/kpis.md. A KPI missing here is exported by `fallback_spec`.
KPI_METRICS: dict[str, MetricSpec] = {
    # invitations
    "invitations_sent": _m("invitations_sent", "count", "Outbound invitations sent."),
    "invitation_cohort_sent": _m(
        "invitation_cohort_sent", "count", "Outbound invitations sent in the cohort."
    ),
    "invitation_cohort_accepted": _m(
        "invitation_cohort_accepted", "count", "Invitations of the cohort accepted so far."
    ),
    "invitation_cohort_withdrawn": _m(
        "invitation_cohort_withdrawn", "count", "Invitations of the cohort withdrawn."
    ),
    "invitation_cohort_pending": _m(
        "invitation_cohort_pending", "count", "Invitations of the cohort still pending."
    ),
    "invitation_acceptance_rate": _m(
        "invitation_acceptance_ratio", "ratio", "Accepted / sent of the invitation cohort."
    ),
    "stale_pending_invitations": _m(
        "stale_pending_invitations", "count", "Outbound invitations pending over 21 days."
    ),
    "orphan_acceptances": _m(
        "orphan_acceptances", "count", "Acceptances whose invitation.sent is unknown."
    ),
    "new_connections": _m("new_connections", "count", "Accepted invitations, both directions."),
    "target_share_of_new_connections": _m(
        "new_connections_target_share_ratio", "ratio", "Share of new connections that are targets."
    ),
    # profile
    "connections": _m("connections", "count", "1st-degree connections (latest snapshot)."),
    "followers": _m("followers", "count", "Followers (latest snapshot)."),
    "profile_views_90d": _m("profile_views_90d", "count", "Profile views over 90 days."),
    "search_appearances_7d": _m(
        "search_appearances_7d", "count", "Search appearances over 7 days."
    ),
    "target_in_first_degree": _m(
        "targets_in_first_degree", "count", "Target accounts in the 1st degree."
    ),
    "connections_growth": _m("connections_growth", "count", "Change of connections in period."),
    "followers_growth": _m("followers_growth", "count", "Change of followers in the period."),
    "ssi_total": _m("ssi_score", "score", "Social Selling Index, 0-100 (60+ is good)."),
    "ssi_brand": _m("ssi_brand_score", "score", "SSI component: professional brand, 0-25."),
    "ssi_people": _m("ssi_people_score", "score", "SSI component: find the right people, 0-25."),
    "ssi_insights": _m("ssi_insights_score", "score", "SSI component: engage with insights."),
    "ssi_relationships": _m(
        "ssi_relationships_score", "score", "SSI component: build relationships, 0-25."
    ),
    "ssi_industry_rank_pct": _m(
        "ssi_industry_rank_ratio", "ratio", "SSI industry rank (top fraction).", 0.01
    ),
    "ssi_network_rank_pct": _m(
        "ssi_network_rank_ratio", "ratio", "SSI network rank (top fraction).", 0.01
    ),
    "ssi_total_weekly": _m("ssi_weekly_score", "score", "Last SSI total of the week."),
    "ssi_total_change": _m("ssi_score_change", "score", "SSI total change over the window."),
    # content
    "posts_published": _m("posts_published", "count", "Posts published in the week."),
    "post_views": _m("post_views", "count", "Views of the post."),
    "post_reactions": _m("post_reactions", "count", "Reactions to the post."),
    "post_comments": _m("post_comments", "count", "Comments on the post."),
    "post_shares": _m("post_shares", "count", "Shares of the post."),
    "post_clicks": _m("post_clicks", "count", "Clicks on the post."),
    "post_interactions": _m(
        "post_interactions", "count", "Reactions + comments + shares + clicks of the post."
    ),
    "post_engagement_rate": _m(
        "post_engagement_ratio", "ratio", "Interactions / views of the post."
    ),
    "post_long_lived": _m(
        "post_long_lived", "flag", "1 when the post still got interactions after 48 hours."
    ),
    "weekly_post_views": _m("weekly_post_views", "count", "Post views in the week."),
    "weekly_post_interactions": _m(
        "weekly_post_interactions", "count", "Post interactions in the week."
    ),
    "weekly_engagement_rate": _m(
        "weekly_engagement_ratio", "ratio", "Weekly interactions / weekly views."
    ),
    # interaction history
    "actors_by_interaction_count": _m(
        "actors_by_interactions", "count", "Members whose interaction count is in the bucket."
    ),
    "warm_prospects": _m("warm_prospects", "count", "Members with 4+ interactions."),
    "warm_prospects_to_invite": _m(
        "warm_prospects_to_invite", "count", "Warm prospects not in the 1st degree."
    ),
    # messages
    "messages_sent": _m("messages_sent", "count", "Direct messages sent."),
    "conversations_started": _m(
        "conversations_started", "count", "Conversations started by the account."
    ),
    "reply_cohort_started": _m(
        "reply_cohort_started", "count", "Conversations started in the window."
    ),
    "reply_cohort_replied": _m(
        "reply_cohort_replied", "count", "Of those, conversations with a reply."
    ),
    "reply_rate": _m("reply_ratio", "ratio", "Replied / started conversations."),
    "time_to_first_reply_seconds": _m(
        "time_to_first_reply_seconds", "seconds", "Time to the first reply in the window."
    ),
    # outcomes
    "leads": _m("leads", "count", "Leads recorded (channel empty = all channels)."),
    "meetings": _m("meetings", "count", "Meetings recorded (channel empty = all)."),
    "proposals": _m("proposals", "count", "Proposals recorded (channel empty = all)."),
    "customers_won": _m("customers_won", "count", "Customers won (channel empty = all)."),
    "customers_churned": _m(
        "customers_churned", "count", "Customers churned (channel empty = all)."
    ),
    "prospects_contacted": _m(
        "prospects_contacted", "count", "Distinct members invited or messaged."
    ),
    "conversion_rate": _m("conversion_ratio", "ratio", "Customers won / prospects contacted."),
    "revenue": _m("revenue", "money", "Revenue of customers won."),
    "roi": _m("roi_ratio", "ratio", "(Revenue - ad spend) / ad spend."),
    "cac": _m("customer_acquisition_cost", "money", "Ad spend / customers won."),
    "churn_rate": _m("churn_ratio", "ratio", "Customer churn over the period."),
    "retention_rate": _m("retention_ratio", "ratio", "1 - churn."),
    "ltv": _m("customer_lifetime_value", "money", "Customer lifetime value."),
    # ads
    "ad_impressions": _m("ad_impressions", "count", "Ad impressions today."),
    "ad_clicks": _m("ad_clicks", "count", "Ad clicks today."),
    "ad_spend": _m("ad_spend", "money", "Ad spend today."),
    "ad_ctr": _m("ad_click_through_ratio", "ratio", "Ad clicks / impressions."),
    "ad_cpm": _m("ad_cost_per_mille", "money", "Ad spend per 1000 impressions."),
    "ad_cpc": _m("ad_cost_per_click", "money", "Ad spend per click."),
    "ad_video_views": _m("ad_video_views", "count", "Ad video views today."),
    "ad_sends": _m("ad_sends", "count", "Sponsored messages sent today."),
    "ad_opens": _m("ad_opens", "count", "Sponsored messages opened today."),
    "ad_leads": _m("ad_leads", "count", "Ad leads today."),
    "ad_conversions": _m("ad_conversions", "count", "Ad conversions today."),
    "ad_cpv": _m("ad_cost_per_video_view", "money", "Ad spend per video view."),
    "ad_cps": _m("ad_cost_per_send", "money", "Ad spend per sponsored message sent."),
    "ad_cpl": _m("ad_cost_per_lead", "money", "Ad spend per lead."),
    "ad_cpa": _m("ad_cost_per_acquisition", "money", "Ad spend per conversion."),
    "ad_open_rate": _m("ad_open_ratio", "ratio", "Sponsored message opens / sends."),
    "ad_conversion_rate": _m("ad_conversion_ratio", "ratio", "Ad conversions / clicks."),
    "ad_card_impressions": _m("ad_card_impressions", "count", "Carousel card impressions today."),
    "ad_card_clicks": _m("ad_card_clicks", "count", "Carousel card clicks today."),
    "ad_card_ctr": _m(
        "ad_card_click_through_ratio", "ratio", "Carousel card clicks / impressions."
    ),
}
# Not exported: the hourly curves live in Redis (`sinks.redis_view`).
NOT_EXPORTED = frozenset(
    {
        "post_hourly_views",
        "post_hourly_interactions",
        "post_cumulative_views",
        "post_cumulative_interactions",
    }
)

_NAME_OK = re.compile(r"[^a-zA-Z0-9_]")


def fallback_spec(kpi: str, value: Any) -> MetricSpec:
    """A KPI not in `KPI_METRICS` (added to the engine later): ``linkedin_<kpi>``, with
    ``_rate`` turned into ``_ratio``, a trailing ``_total``/``_count`` avoided."""
    name = _NAME_OK.sub("_", kpi.lower())
    unit = "count"
    if name.endswith("_rate"):
        name, unit = name[: -len("_rate")] + "_ratio", "ratio"
    elif name.endswith(("_total", "_count", "_sum", "_bucket")):
        name = name + "_value"
    if isinstance(value, Decimal):
        unit = "money"
    elif name.endswith("_seconds"):
        unit = "seconds"
    return MetricSpec("linkedin_" + name, unit, f"KPI {kpi} (see docs/kpis.md).")


def spec_of(kpi: str, value: Any) -> MetricSpec | None:
    if kpi in NOT_EXPORTED:
        return None
    return KPI_METRICS.get(kpi) or fallback_spec(kpi, value)


@lru_cache(maxsize=256)
def _current_periods(as_of: str) -> tuple[str, str, str]:
    info = day_info(day_of(parse_ts(as_of)))
    return info.day_label, info.week_label, info.month_label


def period_kind(period: str, as_of: str) -> str | None:
    """The ``period`` label, or None for a period that is not exported (a past day/week/
    month, an unknown kind)."""
    if period in FIXED_PERIODS:
        return period
    kind = period.partition(":")[0]
    if kind not in CALENDAR_PERIODS:
        return None
    current = _current_periods(as_of)[CALENDAR_PERIODS.index(kind)]
    return kind if period == current else None


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


# --------------------------------------------------------------------------- KPI collector


class KpiCollector(Collector):
    """Renders the committed samples of every account on each scrape."""

    def __init__(self, recent_posts: int = 20) -> None:
        self.recent_posts = recent_posts
        self._lock = threading.Lock()
        self._current: dict[str, list[Sample]] = {}
        self._staged: dict[str, list[Sample]] = {}
        self._first_seen: dict[str, dict[str, int]] = {}  # account -> post -> as_of seen
        self._help: dict[str, str] = {}

    # --- building (publish time) -----------------------------------------------------------
    def stage(self, account_id: str, records: Sequence[KpiRecord], details: Any = None) -> int:
        """Convert one account's records into samples for the next `commit`."""
        recent = self.recent_post_ids(account_id, records, details)
        by_key: dict[tuple[str, tuple[tuple[str, str], ...]], Sample] = {}
        helps: dict[str, str] = {}
        as_of_us: int | None = None
        for record in records:
            sample = self._sample(record, recent, helps)
            if sample is not None:
                by_key[(sample.name, sample.labels)] = sample
            if as_of_us is None:
                as_of_us = parse_ts(record.as_of)
        if as_of_us is not None:
            meta = Sample(SNAPSHOT_METRIC, (("account_id", account_id),), as_of_us / US)
            by_key[(meta.name, meta.labels)] = meta
        for extra in baseline_samples(account_id, records):
            by_key[(extra.name, extra.labels)] = extra
            helps.setdefault(extra.name, BASELINE_HELP[extra.name])
        samples = list(by_key.values())
        with self._lock:
            self._staged[account_id] = samples
            for name, text in helps.items():
                self._help.setdefault(name, text)
        return len(samples)

    def commit(self) -> None:
        """The staged evaluation becomes what scrapes see (accounts not staged are dropped:
        this worker no longer owns them)."""
        with self._lock:
            self._current, self._staged = self._staged, {}
            self._first_seen = {a: p for a, p in self._first_seen.items() if a in self._current}

    def _sample(self, record: KpiRecord, recent: set[str], helps: dict[str, str]) -> Sample | None:
        spec = spec_of(record.kpi, record.value)
        if spec is None:
            return None
        period = period_kind(record.period, record.as_of)
        if period is None:
            return None
        name = spec.name
        labels: dict[str, str] = {"account_id": record.account_id, "period": period}
        for dim, raw in record.dims.items():
            if dim == "quantile" and spec.unit == "seconds":
                quantile = float(raw)
                base = name.removesuffix("_seconds")
                name = f"{base}_p{round(quantile * 100):02d}_seconds"
            elif dim in LABEL_DIMS:
                labels[dim] = str(raw)
            else:
                return None  # an unbounded or unknown breakdown: never a label
        if "post_id" in labels and labels["post_id"] not in recent:
            return None
        value = float(record.value) * spec.scale
        if math.isnan(value):
            return None
        if name not in helps:
            helps[name] = spec.help + _unit_note(spec.unit)
        return Sample(name, tuple(sorted(labels.items())), value)

    def recent_post_ids(
        self, account_id: str, records: Sequence[KpiRecord], details: Any = None
    ) -> set[str]:
        """The `recent_posts` most recent post ids. Recency: publication time from
        ``details.posts`` (``post_id``, ``published_at``) when given, else estimated from the
        curve (hour h of the last hourly record = published h hours ago, while under 48 h),
        else the first evaluation that saw the post (capped 48 h back)."""
        if self.recent_posts <= 0:
            return set()
        as_of_us: int | None = None
        last_hour: dict[str, int] = {}
        posts: set[str] = set()
        for record in records:
            post_id = record.dims.get("post_id")
            if post_id is None:
                continue
            post = str(post_id)
            posts.add(post)
            if as_of_us is None:
                as_of_us = parse_ts(record.as_of)
            if record.kpi == "post_hourly_views" and "hour" in record.dims:
                last_hour[post] = max(last_hour.get(post, -1), int(record.dims["hour"]))
        if not posts or as_of_us is None:
            return set()
        if len(posts) <= self.recent_posts:
            return posts
        published = _published_from_details(details)
        with self._lock:
            seen = self._first_seen.setdefault(account_id, {})
            for post in posts:
                seen.setdefault(post, as_of_us)
            for post in list(seen):
                if post not in posts:
                    del seen[post]
            first_seen = dict(seen)
        old = as_of_us - CURVE_HOURS * HOUR_US

        def estimate(post: str) -> int:
            if post in published:
                return published[post]
            hour = last_hour.get(post)
            if hour is not None and hour < CURVE_HOURS - 1:
                return as_of_us - hour * HOUR_US - HOUR_US // 2
            return min(first_seen.get(post, old), old)

        ranked = sorted(posts, key=lambda p: (estimate(p), p), reverse=True)
        return set(ranked[: self.recent_posts])

    # --- rendering (scrape time) -----------------------------------------------------------
    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            accounts = list(self._current.values())
            helps = dict(self._help)
        grouped: dict[str, list[Sample]] = {}
        for samples in accounts:
            for sample in samples:
                grouped.setdefault(sample.name, []).append(sample)
        for name in sorted(grouped):
            samples = grouped[name]
            label_names = sorted({label for s in samples for label, _ in s.labels})
            ordered = [n for n in BASE_LABELS if n in label_names]
            ordered += [n for n in label_names if n not in BASE_LABELS]
            help_text = helps.get(name) or SNAPSHOT_HELP
            family = GaugeMetricFamily(name, help_text, labels=ordered)
            for sample in samples:
                values = dict(sample.labels)
                family.add_metric([values.get(n, "") for n in ordered], sample.value)
            yield family


BASELINE_HELP = {
    RATIO_METRIC: "Accepted / sent of the day cohorts of the 28 UTC days ending today (the "
    "account's own baseline, alerting.baseline). Fraction in [0, 1].",
    SENT_METRIC: "Invitations sent in the day cohorts of the 28-day acceptance baseline.",
}


def baseline_samples(account_id: str, records: Sequence[KpiRecord]) -> list[Sample]:
    """The 28-day acceptance baseline (`alerting.baseline`), which the engine has no record
    for: the alert rules compare the 96 h rate with it, and the worker's evaluator computes
    it with the same function from the same records."""
    baseline = acceptance_baseline(records)
    if baseline is None:
        return []
    labels = (("account_id", account_id),)
    out = [Sample(SENT_METRIC, labels, float(baseline.sent))]
    if baseline.ratio is not None:
        out.append(Sample(RATIO_METRIC, labels, baseline.ratio))
    return out


def _unit_note(unit: str) -> str:
    return {
        "ratio": " Fraction in [0, 1].",
        "money": " In the currency of the currency label.",
        "seconds": " Seconds.",
    }.get(unit, "")


def _published_from_details(details: Any) -> dict[str, int]:
    posts = None
    if isinstance(details, Mapping):
        posts = details.get("posts")
    elif details is not None:
        posts = getattr(details, "posts", None)
    out: dict[str, int] = {}
    for item in posts or ():
        if isinstance(item, Mapping):
            post_id, published = item.get("post_id"), item.get("published_at")
        else:
            post_id = getattr(item, "post_id", None)
            published = getattr(item, "published_at", None)
        if post_id is None or published is None:
            continue
        out[str(post_id)] = published if isinstance(published, int) else parse_ts(str(published))
    return out


# --------------------------------------------------------------------------- worker health


class _BoundedLabels:
    """Maps label values to themselves until `limit` distinct ones, then to ``other``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: object) -> str:
        text = str(value)
        with self._lock:
            if text in self._seen:
                return text
            if len(self._seen) < self.limit:
                self._seen.add(text)
                return text
        return "other"


EVALUATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class WorkerMetrics:
    """Health metrics of the live worker (the worker increments them).

    Use the helpers (they bound label values) or the metric objects directly. The
    evaluation histogram, the last-evaluation timestamp and the evaluation gauges are set by
    `PrometheusExporter.flush` from the worker's summary: do not observe them elsewhere.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.events_processed = Counter(
            "socialkpi_events_processed",
            "Valid events processed, by event type (duplicates and late ones included).",
            ["type"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "socialkpi_dead_letters",
            "Messages sent to the dead-letter topic, by reason kind.",
            ["reason"],
            registry=registry,
        )
        self.late_events = Counter(
            "socialkpi_late_events",
            "Events older than their KPI's retention (counted, never applied), by type.",
            ["type"],
            registry=registry,
        )
        self.duplicate_events = Counter(
            "socialkpi_duplicate_events",
            "Events whose event_id was already applied for the account, by type.",
            ["type"],
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "socialkpi_consumer_lag",
            "Messages between the committed offset and the end of the partition.",
            ["topic", "partition"],
            registry=registry,
        )
        self.evaluation_duration = Histogram(
            "socialkpi_evaluation_duration_seconds",
            "Wall time of one evaluation of every local account.",
            buckets=EVALUATION_BUCKETS,
            registry=registry,
        )
        self.last_evaluation = Gauge(
            "socialkpi_last_evaluation_timestamp_seconds",
            "When the last evaluation was published (Unix time).",
            registry=registry,
        )
        self.evaluation_records = Gauge(
            "socialkpi_evaluation_records",
            "KPI records produced by the last evaluation.",
            registry=registry,
        )
        self.accounts = Gauge(
            "socialkpi_accounts", "Accounts held by this worker.", registry=registry
        )
        self.future_events_held = Gauge(
            "socialkpi_future_events_held",
            "Events ahead of the clock (up to max_future) waiting in the worker's state.",
            registry=registry,
        )
        self._types = _BoundedLabels(64)
        self._reasons = _BoundedLabels(64)
        self._partitions = _BoundedLabels(4096)

    def event_processed(self, event_type: str, n: int = 1) -> None:
        self.events_processed.labels(self._types(event_type)).inc(n)

    def dead_letter(self, reason: str, n: int = 1) -> None:
        """`reason` should be the rejection kind (oversize, malformed_json, ...), not the
        free-text message: past 64 distinct values they count as ``other``."""
        self.dead_letters.labels(self._reasons(reason)).inc(n)

    def late_event(self, event_type: str, n: int = 1) -> None:
        self.late_events.labels(self._types(event_type)).inc(n)

    def duplicate_event(self, event_type: str, n: int = 1) -> None:
        self.duplicate_events.labels(self._types(event_type)).inc(n)

    def set_consumer_lag(self, topic: str, partition: int, lag: int) -> None:
        key = self._partitions(f"{topic}\x00{partition}")
        if key == "other":
            return
        self.consumer_lag.labels(topic, str(partition)).set(lag)


# --------------------------------------------------------------------------- exporter


def start_http(
    port: int, addr: str = "127.0.0.1", registry: CollectorRegistry | None = None
) -> tuple[Any, threading.Thread]:
    """Serve ``/metrics`` of `registry` (default: the global one) on a daemon thread; returns
    (server, thread): ``server.shutdown()`` stops it, ``server.server_port`` is the port."""
    from prometheus_client import REGISTRY

    server, thread = start_http_server(port, addr=addr, registry=registry or REGISTRY)
    return server, thread


class PrometheusExporter:
    """A `RecordsPublisher`: the latest records of every local account as gauges."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        recent_posts: int = 20,
        process_metrics: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        if process_metrics and registry is None:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self.kpis = KpiCollector(recent_posts)
        self.registry.register(self.kpis)
        self.worker = WorkerMetrics(self.registry)
        self.clock = clock
        self._server: Any = None

    @classmethod
    def from_settings(cls, settings: SinkSettings | None = None) -> PrometheusExporter:
        settings = settings or SinkSettings()
        return cls(recent_posts=settings.metrics_recent_posts)

    def start_http(self, port: int, addr: str = "127.0.0.1") -> int:
        """Serve this exporter's registry; returns the bound port (useful with port 0)."""
        server, _ = start_http(port, addr, self.registry)
        self._server = server
        return int(server.server_port)

    async def publish(
        self, account_id: str, records: Sequence[KpiRecord], details: Mapping[str, Any] | Any
    ) -> None:
        self.kpis.stage(account_id, records, details)

    async def flush(self, summary: Mapping[str, Any]) -> None:
        self.kpis.commit()
        worker = self.worker
        worker.last_evaluation.set(self.clock())
        duration = summary.get("last_evaluation_s")
        if isinstance(duration, int | float):
            worker.evaluation_duration.observe(float(duration))
        records = summary.get("last_evaluation_records")
        if isinstance(records, int):
            worker.evaluation_records.set(records)
        accounts = summary.get("accounts")
        if isinstance(accounts, int):
            worker.accounts.set(accounts)

    async def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
