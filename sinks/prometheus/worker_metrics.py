"""`WorkerMetrics`: health metrics of the live worker (counters, gauges, a histogram)."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
            "KPI records the last evaluation published (new, changed or deleted).",
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
