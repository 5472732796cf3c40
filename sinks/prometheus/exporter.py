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
