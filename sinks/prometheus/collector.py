"""`KpiCollector`: an account's records become samples once per evaluation, rendered on scrape.

``stage()`` turns an account's records into samples (no per-event work), ``commit()`` makes
the evaluation's samples the current ones, and every scrape renders them (a custom
collector).

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
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from alerting.baseline import RATIO_METRIC, SENT_METRIC, acceptance_baseline
from kpis.timeutil import HOUR_US, US, day_info, day_of, parse_ts
from models.records import KpiRecord
from sinks.prometheus.catalog import spec_of

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
        self._view_as_of: float | None = None

    # --- building (publish time) -----------------------------------------------------------
    def stage(
        self,
        account_id: str,
        records: Sequence[KpiRecord],
        details: Any = None,
        *,
        as_of: str | None = None,
        published: Mapping[str, int] | None = None,
    ) -> int:
        """Convert one account's records into samples for the next `commit`. `as_of`: the
        evaluation time (default: the records'); `published`: post id -> publication time,
        for the recent posts (default: from `details`, else estimated)."""
        recent = self.recent_post_ids(account_id, records, details, published)
        by_key: dict[tuple[str, tuple[tuple[str, str], ...]], Sample] = {}
        helps: dict[str, str] = {}
        as_of_us: int | None = None if as_of is None else parse_ts(as_of)
        for record in records:
            sample = self._sample(record, recent, helps, as_of)
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

    def commit(self, replace: bool = True) -> None:
        """The staged evaluation becomes what scrapes see. `replace`: accounts not staged
        are dropped (this worker no longer owns them); else only the staged ones change
        (an incremental evaluation: `forget` drops accounts)."""
        with self._lock:
            if replace:
                self._current = self._staged
            else:
                self._current.update(self._staged)
            self._staged = {}
            self._first_seen = {a: p for a, p in self._first_seen.items() if a in self._current}

    def forget(self, account_ids: Iterable[str]) -> None:
        with self._lock:
            for account_id in account_ids:
                self._current.pop(account_id, None)
                self._staged.pop(account_id, None)
                self._first_seen.pop(account_id, None)

    def set_view_as_of(self, as_of_s: float) -> None:
        """The evaluation time every account's records hold at (an incremental evaluation
        restages only changed accounts): the snapshot gauge of each account shows it."""
        self._view_as_of = as_of_s

    def _sample(
        self, record: KpiRecord, recent: set[str], helps: dict[str, str], as_of: str | None
    ) -> Sample | None:
        spec = spec_of(record.kpi, record.value)
        if spec is None:
            return None
        period = period_kind(record.period, as_of or record.as_of)
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
        self,
        account_id: str,
        records: Sequence[KpiRecord],
        details: Any = None,
        published: Mapping[str, int] | None = None,
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
        if published is None:
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
            view_as_of = self._view_as_of if name == SNAPSHOT_METRIC else None
            for sample in samples:
                values = dict(sample.labels)
                value = sample.value if view_as_of is None else max(view_as_of, sample.value)
                family.add_metric([values.get(n, "") for n in ordered], value)
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
