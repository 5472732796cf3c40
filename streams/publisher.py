"""Where evaluated KPI records go: the `RecordsPublisher` protocol and a fan-out over sinks.

The worker calls `publish_evaluation(evaluation, view)` for each account whose records
changed (a full evaluation first, then deltas), then `flush(summary)` once per evaluation;
`publish(account_id, records, details)` publishes a complete record set (tools, tests).
The sinks are `sinks.redis.writer.RedisView` (the materialized view) and
`sinks.prometheus.exporter.PrometheusExporter` (gauges); `FanoutPublisher` feeds both, and
one failing sink (Redis down) does not stop the other (Prometheus keeps its gauges fresh).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from kpis.incremental import AccountEvaluation, AccountView
from models.records import KpiRecord

log = logging.getLogger("streams")


class RecordsPublisher(Protocol):
    async def publish(
        self, account_id: str, records: Sequence[KpiRecord], details: Mapping[str, Any] | Any
    ) -> None:
        """The complete record set of one account at one evaluation (replaces the last)."""

    async def publish_evaluation(self, evaluation: AccountEvaluation, view: AccountView) -> None:
        """What changed in one account at one evaluation (a full one replaces the last)."""

    async def flush(self, summary: Mapping[str, Any]) -> None:
        """End of one evaluation; `summary` is the worker's stats snapshot."""

    async def close(self) -> None: ...


class FanoutPublisher:
    """Publishes to every sink; a sink that fails is logged and skipped until the next flush."""

    def __init__(self, sinks: Sequence[RecordsPublisher]) -> None:
        self.sinks = list(sinks)
        self._failed: set[int] = set()
        self._down: set[int] = set()  # sinks whose failure was reported (said once)
        self.failures = 0

    async def publish(
        self, account_id: str, records: Sequence[KpiRecord], details: Mapping[str, Any] | Any
    ) -> None:
        for index, sink in enumerate(self.sinks):
            if index not in self._failed:
                try:
                    await sink.publish(account_id, records, details)
                except Exception:
                    self._fail(index, sink)

    async def publish_evaluation(self, evaluation: AccountEvaluation, view: AccountView) -> None:
        for index, sink in enumerate(self.sinks):
            if index not in self._failed:
                try:
                    await sink.publish_evaluation(evaluation, view)
                except Exception:
                    self._fail(index, sink)

    def refill_needed(self) -> bool:
        """Whether a sink lost its view (every sink is asked: asking clears it)."""
        asked = [bool(getattr(sink, "refill_needed", lambda: False)()) for sink in self.sinks]
        return any(asked)

    def forget(self, account_ids: Sequence[str]) -> None:
        """Accounts moved to another worker: the sinks stop keeping them."""
        self.call("forget", account_ids)

    async def flush(self, summary: Mapping[str, Any]) -> None:
        for index, sink in enumerate(self.sinks):
            if index not in self._failed:
                try:
                    await sink.flush(summary)
                except Exception:
                    self._fail(index, sink)
                else:
                    if index in self._down:
                        self._down.discard(index)
                        log.warning("publishing to %s works again", type(sink).__name__)
        self._failed.clear()  # every sink gets the next evaluation again

    def call(self, method: str, *args: Any) -> None:
        """Queue an optional extra (`set_firing`, `add_transitions`) on the sinks that have it."""
        for index, sink in enumerate(self.sinks):
            handler = getattr(sink, method, None)
            if handler is not None and index not in self._failed:
                handler(*args)

    async def close(self) -> None:
        for sink in self.sinks:
            try:
                await sink.close()
            except Exception:
                log.exception("closing %s failed", type(sink).__name__)

    def _fail(self, index: int, sink: RecordsPublisher) -> None:
        """One line when a sink goes down (the traceback at debug level), then quiet until
        it works again: a wrong Redis password must not print a traceback per evaluation."""
        self.failures += 1
        self._failed.add(index)
        error = sys.exc_info()[1]
        name = type(sink).__name__
        if index not in self._down:
            self._down.add(index)
            log.error(
                "publishing to %s failed (%s: %s); retried at every evaluation; check its "
                "settings (SOCIALKPI_REDIS_*)",
                name,
                type(error).__name__,
                error,
            )
        log.debug("publishing to %s failed", name, exc_info=True)
