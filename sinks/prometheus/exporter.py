"""`PrometheusExporter`: the `RecordsPublisher` behind ``/metrics``, and `start_http`.

``publish()`` stages an account's records in the `KpiCollector`, ``flush()`` commits the
evaluation and sets the evaluation gauges of `WorkerMetrics` from the worker's summary.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import start_http_server
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from kpis.incremental import AccountEvaluation, AccountView
from kpis.timeutil import DAY_US, US, parse_ts
from models.records import KpiRecord
from sinks.prometheus.collector import KpiCollector
from sinks.prometheus.worker_metrics import WorkerMetrics
from sinks.settings import SinkSettings


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
        self._incremental = False  # fed by publish_evaluation: commits merge
        self._day: int | None = None  # UTC day of the last evaluation (`new_day`)

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

    async def publish_evaluation(self, evaluation: AccountEvaluation, view: AccountView) -> None:
        """The account's gauges from its view (records without the hourly curves), when its
        records changed; the gauges of other accounts stay (`flush` merges)."""
        if evaluation.full or evaluation.changed:
            self.restage(view, evaluation.as_of_label)

    def restage(self, view: AccountView, as_of: str) -> None:
        """Rebuild one account's gauges from its view, at `as_of` (a new day: the same
        records, other calendar periods are current)."""
        self._incremental = True
        published = {
            post_id: numbers.published_at
            for post_id, numbers in view.posts.items()
            if numbers.published_at is not None
        }
        self.kpis.stage(view.account_id, view.records, as_of=as_of, published=published)

    def new_day(self, as_of: int) -> bool:
        """Whether `as_of` is in a later UTC day than the previous call's: the calendar
        periods exported changed, so every account needs `restage` (records unchanged)."""
        day = as_of // DAY_US
        previous, self._day = self._day, day
        return previous is not None and day != previous

    def forget(self, account_ids: Sequence[str]) -> None:
        self.kpis.forget(account_ids)

    async def flush(self, summary: Mapping[str, Any]) -> None:
        self.kpis.commit(replace=not self._incremental)
        evaluated_at = summary.get("last_evaluation_at")
        if self._incremental and isinstance(evaluated_at, str) and evaluated_at:
            self.kpis.set_view_as_of(parse_ts(evaluated_at) / US)
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
