"""The live worker: one Faust agent per input topic, the pure engine, a changelog-backed table.

Per batch (`stream.take_events`, up to `batch_size` events or `batch_within_s` seconds):
validate each message (`models.parse_event`), send rejects to the dead-letter topic, apply
the rest to the in-memory `AccountState`s, then write the touched entities to the state
table once (`TableBackedStore.flush`). A batch is processed without awaiting, so batches of
the six agents, the timers and rebalances never interleave. A timer evaluates every local
account at the evaluation clock (wall clock, or the pinned `as_of`) and hands the records to
the sinks (Redis view, Prometheus gauges); another reads the consumer lag.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import math
import os
import socket
import time
from collections.abc import Sequence
from typing import Any, cast

import faust

from alerting.config import load_config
from alerting.evaluator import SEVERITY, AlertEvaluator, AlertTransition
from kpis import Engine, EngineConfig
from kpis.engine import FUTURE
from kpis.incremental import AccountView
from kpis.timeutil import format_ts
from models import EventRejected, RejectKind
from models.batch import ItemResult, parse_message
from models.events import Event
from sinks.prometheus.exporter import PrometheusExporter
from sinks.redis.alerts import RedisAlertFeed
from sinks.redis.writer import RedisView
from sinks.settings import SinkSettings
from streams import faults
from streams.alerts import last_transitions, restore_firing
from streams.dead_letters import dead_letter_document
from streams.lag import input_lag
from streams.locate import RecordLocator
from streams.logs import limit_repeats
from streams.offsets import Admit, OffsetLedger
from streams.preflight import preflight
from streams.publisher import FanoutPublisher, RecordsPublisher
from streams.settings import WorkerSettings, topic_for_type
from streams.shutdown import BoundedStopWorker
from streams.state_table import KafkaTableIO, StateTable
from streams.stats import WorkerStats
from streams.store import OwnershipError, TableBackedStore
from streams.topics import STATE_TABLE, ensure_topics

log = logging.getLogger("streams")
PROGRESS_LOG_S = 10.0
ALERT_ACK_TIMEOUT_S = 20.0  # the alert topic's acknowledgement of one evaluation's transitions


def wall_clock_us() -> int:
    return time.time_ns() // 1000


# --------------------------------------------------------------------------- worker


def firing_alerts(alerts: AlertEvaluator, account_id: str) -> list[dict[str, str]]:
    """The account's firing alerts as Redis shows them."""
    return [
        {
            "rule": rule,
            "active_since": format_ts(int(state["active_since_us"])),
            "severity": SEVERITY[rule],
        }
        for rule, state in sorted(alerts.export_state(account_id).items())
        if state["firing"]
    ]


class KpiWorker:
    """Builds the Faust app (agents, table, timers) around one engine and one store."""

    def __init__(
        self,
        settings: WorkerSettings,
        publisher: RecordsPublisher | None = None,
        config: EngineConfig | None = None,
        sink_settings: SinkSettings | None = None,
    ) -> None:
        self.settings = settings
        self.sink_settings = sink_settings or SinkSettings()
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.clock = faults.test_clock() or wall_clock_us  # the evaluation clock, live
        self.config = config or dataclasses.replace(
            EngineConfig(), max_future_us=round(settings.max_future_s * 1e6)
        )
        self.app = self._make_app()
        self.table = self._make_table()
        self.io = KafkaTableIO(self.table, settings)
        self.store = TableBackedStore(
            self.io,
            clock=wall_clock_us,
            journal=settings.state_journal,
            journal_part_bytes=settings.changelog_batch_bytes // 2,
        )
        self.table.socialkpi_store = self.store
        self.table.socialkpi_io = self.io
        self.ledger = OffsetLedger()
        self._topic_names = settings.topics  # short name -> topic name (built once)
        self.locator = RecordLocator(settings)
        self.table.socialkpi_ledger = self.ledger
        self.table.socialkpi_inputs = frozenset(settings.topics.values())
        self._last_commit = 0.0
        self.app.on_before_shutdown.connect(cast(Any, self._on_shutdown))
        # Pinned as_of (tests, backfills): replay's rules. Live: events wait for the clock.
        if settings.as_of_us is not None:
            self.engine = Engine(
                config=self.config,
                store=self.store,
                processing_clock=self.store.processing_time,
                apply_until=settings.as_of_us,
                track_changes=True,
            )
        else:
            self.engine = Engine.live(
                self.clock(), self.config, self.store, self.store.processing_time
            )
        self.table.socialkpi_after_rebuild = self.engine.reindex_pending
        self.exporter: PrometheusExporter | None = None
        if settings.serve_metrics:
            self.exporter = PrometheusExporter.from_settings(self.sink_settings)
        self.metrics_port: int | None = None
        self._lag_reported: set[tuple[str, int]] = set()
        self.stats = WorkerStats(
            outcomes=self.engine.stats,
            metrics=self.exporter.worker if self.exporter is not None else None,
        )
        self._last_progress_log = 0.0
        self.publisher = publisher if publisher is not None else self._default_publisher()
        self.dead_letter_topic = self.app.topic(
            settings.dead_letter_topic, key_serializer="raw", value_serializer="raw"
        )
        self.alerts = AlertEvaluator(load_config()) if settings.alerts_enabled else None
        self.alert_topic = self.app.topic(
            settings.alert_topic, key_serializer="raw", value_serializer="raw"
        )
        self._alerts_synced = 0  # the table rebuild the alert state was restored for
        self._evaluated_rebuild = 0  # the table rebuild the last full evaluation followed
        self._published: set[str] = set()  # local accounts the sinks hold
        self._refresh_order: collections.deque[str] = collections.deque()  # next: left
        for short, name in settings.topics.items():
            self._add_agent(short, name)
        self.app.timer(settings.evaluation_interval_s, name="socialkpi.evaluate")(
            self._evaluate_timer
        )
        self.app.timer(settings.prune_interval_s, name="socialkpi.prune")(self._prune_timer)
        self.app.timer(settings.commit_interval_s, name="socialkpi.commit")(self._commit_timer)
        if self.exporter is not None:
            self.app.timer(settings.lag_interval_s, name="socialkpi.lag")(self._lag_timer)

    def _default_publisher(self) -> RecordsPublisher | None:
        sinks: list[RecordsPublisher] = []
        if self.settings.publish_redis:
            sinks.append(RedisView.from_settings(self.sink_settings, worker_id=self.worker_id))
            if self.settings.alerts_enabled:
                sinks.append(RedisAlertFeed.from_settings(self.sink_settings))
        if self.exporter is not None:
            sinks.append(self.exporter)
        return FanoutPublisher(sinks) if sinks else None

    def serve_metrics(self) -> int | None:
        """Start /metrics (once); returns the bound port."""
        if self.exporter is not None and self.metrics_port is None:
            sink = self.sink_settings
            self.metrics_port = self.exporter.start_http(sink.metrics_port, sink.metrics_addr)
            log.info("metrics on http://%s:%d/metrics", sink.metrics_addr, self.metrics_port)
        return self.metrics_port

    # --- construction ---------------------------------------------------------------------
    def _make_app(self) -> faust.App:
        s = self.settings
        credentials: Any = None
        context = s.ssl_context()
        if s.kafka_sasl_mechanism:
            password = s.kafka_sasl_password.get_secret_value() if s.kafka_sasl_password else None
            credentials = faust.SASLCredentials(
                username=s.kafka_sasl_username,
                password=password,
                mechanism=s.kafka_sasl_mechanism,
                ssl_context=context,
            )
        elif context is not None:
            credentials = faust.SSLCredentials(context)
        return faust.App(
            s.app_id,
            broker=[f"kafka://{server}" for server in s.bootstrap_servers],
            broker_credentials=credentials,
            store=s.store,
            datadir=s.data_dir,
            autodiscover=False,
            web_enabled=False,
            topic_partitions=s.partitions,
            topic_replication_factor=s.replication_factor,
            table_standby_replicas=0,
            broker_session_timeout=s.session_timeout_s,
            consumer_group_instance_id=s.group_instance_id,
            broker_heartbeat_interval=s.heartbeat_interval_s,
            broker_commit_interval=s.commit_interval_s,
            stream_recovery_delay=s.recovery_delay_s,
            producer_max_request_size=s.changelog_max_message_bytes,
            producer_linger=s.producer_linger_s,
            producer_max_batch_size=s.producer_max_batch_bytes,
            consumer_auto_offset_reset="earliest",
        )

    def _make_table(self) -> StateTable:
        s = self.settings
        table = StateTable(
            self.app,
            name=STATE_TABLE,
            default=None,
            key_type=bytes,  # bytes keys and values: the "raw" serializer
            value_type=bytes,
            partitions=s.partitions,
            beacon=self.app.tables.beacon,
            extra_topic_configs={"max.message.bytes": str(s.changelog_max_message_bytes)},
            help="socialkpi engine state (see streams.store)",
        )
        self.app.tables.add(table)
        return table

    def _add_agent(self, short: str, topic_name: str) -> None:
        # acks=False: Faust commits none of the input offsets; the worker does, from its
        # offset ledger (see streams.offsets: Faust's gap logic commits records never seen).
        topic = self.app.topic(
            topic_name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            acks=False,
        )
        size, within = self.settings.batch_size, self.settings.batch_within_s

        async def ingest(stream: Any) -> None:
            async for events in stream.take_events(size, within=within):
                await self.process_batch(events)

        ingest.__name__ = ingest.__qualname__ = f"ingest_{short}"
        self.app.agent(topic, name=f"socialkpi.ingest.{short}")(ingest)

    # --- processing -----------------------------------------------------------------------
    async def process_batch(self, events: Sequence[Any]) -> None:
        """Apply a batch, then wait until its state is in the changelog: only then are its
        offsets durable in the ledger, and so committable. A failure to write state stops
        the worker rather than commit events whose effects are not stored."""
        self.apply_batch(events)
        positions = self.ledger.applied()
        await self.send_state()
        self.ledger.durable(positions)
        await self.resync()
        if time.monotonic() - self._last_commit >= self.settings.commit_interval_s:
            await self.commit_offsets()
        now = time.monotonic()
        if now - self._last_progress_log >= PROGRESS_LOG_S:
            self._last_progress_log = now
            stats = self.stats
            log.info(
                "progress: %d messages in %d batches, %d accounts, outcomes %s, dead letters %s",
                stats.messages,
                stats.batches,
                len(self.store),
                dict(stats.outcomes),
                dict(stats.dead_letters),
            )

    async def send_state(self) -> None:
        try:
            await self.io.send_pending()
        except Exception as error:
            log.exception("cannot write state to the changelog; stopping")
            await self.app.crash(error)
            raise

    async def resync(self) -> None:
        """Partitions that jumped: ask the broker what exists from the expected offset on,
        then seek to that record (see the ledger)."""
        ledger = self.ledger
        for tp, offset in ledger.take_probes().items():
            try:
                first, end = await self.locator.first_at_or_after(tp, offset)
            except Exception as error:  # the broker is away: probed again after the next batch
                log.warning("locating %s[%s]@%d failed: %r", tp.topic, tp.partition, offset, error)
                continue
            ledger.located(tp, first, end)
        for tp, offset in ledger.take_seeks(time.monotonic()).items():
            log.info("seeking %s[%s] to %d", tp.topic, tp.partition, offset)
            try:
                await self.app.consumer.seek(tp, offset)
            except Exception as error:  # revoked meanwhile: the next assignment positions it
                log.warning("seek of %s[%s] failed: %r", tp.topic, tp.partition, error)

    async def commit_offsets(self) -> None:
        """Commit the ledger's durable offsets: every record below them was applied or
        dead-lettered and its state acknowledged by the changelog. Dead letters are flushed
        first, so a committed bad line has its dead letter."""
        self._last_commit = time.monotonic()
        offsets = self.ledger.to_commit()
        if not offsets or self.app.rebalancing:
            return
        try:
            await self.app.producer.flush()
            # Faust's low-level commit (it only drops partitions no longer assigned).
            consumer: Any = self.app.consumer
            if await consumer._commit(offsets):
                self.ledger.committed(offsets)
        except Exception as error:  # a rebalance: the next owner starts from the last commit
            log.warning("offset commit failed, retried: %r", error)

    def apply_batch(self, events: Sequence[Any]) -> None:
        """Validate and apply a batch, then write the touched state once (into the outbox).
        Never raises for one bad event; does not await, so that batches of different agents,
        timers and rebalances never interleave with a half-applied batch."""
        store, stats = self.store, self.stats
        admit, apply = self.ledger.admit, Admit.APPLY
        max_bytes = self.settings.max_message_bytes
        outcomes = stats.batch_outcomes
        store.begin_batch()
        self.advance_clock(self.clock())
        stats.batches += 1
        stats.messages += len(events)
        for event in events:
            message = event.message
            verdict = admit(message.tp, message.offset)
            if verdict is not apply:
                stats.not_applied[verdict.value] += 1
                continue
            items = parse_message(
                message.value, message.headers, message.key, max_item_bytes=max_bytes
            )
            for item in items:
                try:
                    if item.error is not None:
                        raise item.error
                    assert item.event is not None
                    outcomes[self._apply_event(item.event, message)] += 1
                except EventRejected as rejected:
                    self.dead_letter(message, rejected.reason, rejected.kind, item)
                except OwnershipError as wrong:
                    self.dead_letter(message, str(wrong), RejectKind.WRONG_PARTITION, item)
                except Exception as error:  # an engine bug must not stop the stream
                    log.exception(
                        "processing failed at %s[%s]@%s item %s",
                        message.topic,
                        message.partition,
                        message.offset,
                        item.index,
                    )
                    reason = f"processing error: {type(error).__name__}"
                    self.dead_letter(message, reason, RejectKind.PROCESSING_ERROR, item)
        store.flush()
        stats.end_batch()

    def _apply_event(self, parsed: Event, message: Any) -> tuple[str, str]:
        """One validated event of `message` through the topic check and the engine; returns
        (type, outcome) for the counters, raises EventRejected for what is refused here."""
        if self._topic_names[topic_for_type(parsed.type)] != message.topic:
            raise EventRejected(
                f"type: {parsed.type} does not belong to topic {message.topic}",
                RejectKind.WRONG_TOPIC,
            )
        self.store.route(parsed.account_id, message.partition)
        outcome = self.engine.apply(parsed)
        if outcome == FUTURE:
            raise EventRejected(
                "occurred_at: more than max_future ahead of the clock "
                "(or too many events waiting for this account)",
                RejectKind.FUTURE_TIME,
            )
        return parsed.type, outcome

    def advance_clock(self, now_us: int) -> int:
        """Live: move the engine's clock to `now_us`, applying the parked events it reached
        (inside the caller's batch, so their release and effects are flushed together)."""
        if self.settings.as_of_us is not None:
            return 0
        released = self.engine.advance(now_us)
        if self.exporter is not None:
            self.exporter.worker.future_events_held.set(self.engine.pending_count())
        return released

    def dead_letter(
        self, message: Any, reason: str, kind: str, item: ItemResult | None = None
    ) -> None:
        """One dead letter per refused event: a batch item carries its own bytes and index."""
        key, value = dead_letter_document(
            message,
            reason,
            kind,
            self.settings.app_id,
            wall_clock_us(),
            original=None if item is None else item.raw,
            index=None if item is None else item.index,
        )
        self.stats.dead_letter(kind, reason)
        self.dead_letter_topic.send_soon(key=key, value=value)

    # --- evaluation -----------------------------------------------------------------------
    def evaluation_time(self) -> int:
        pinned = self.settings.as_of_us
        return pinned if pinned is not None else self.clock()

    async def evaluate_and_publish(self) -> int:
        """Evaluate what changed since the last evaluation and publish it; returns the
        number of records published (upserts and deletes).

        Only accounts an event reached or whose records change with time are evaluated
        (`Engine.due_accounts`), and only their changed records reach the sinks. Every local
        account is evaluated whole after a rebuild (start, rebalance) and when a sink lost
        its view (Redis wiped or unreachable)."""
        if self.store.active_partitions is None or self.app.rebalancing:
            return 0
        started = time.perf_counter()
        as_of = self.evaluation_time()
        self.store.begin_batch()
        released = self.advance_clock(as_of)
        self.store.flush()
        if released:
            await self.send_state()
        publisher = self.publisher
        alerts = self.alerts
        if alerts is not None and self._alerts_synced != self.table.socialkpi_rebuilds:
            await self._restore_alerts(alerts)
        full = self._refill_needed(publisher)
        if full:
            due = [account_id for account_id, _st in self.store.accounts()]
            refresh: set[str] = set()
        else:
            refresh = self._refresh_slice()
            due = sorted(set(self.engine.due_accounts(as_of)) | refresh)
        at = format_ts(as_of)
        views: dict[str, AccountView] = {}
        total = 0
        for index, account_id in enumerate(due):
            whole = full or account_id in refresh
            try:
                evaluation = self.engine.evaluate_account(account_id, as_of, full=whole)
            except OwnershipError:  # revoked since an event marked it
                continue
            view = self.engine.account_view(account_id)
            if view is None:
                continue
            views[account_id] = view
            if account_id not in self._published:
                self._published.add(account_id)
                self._refresh_order.append(account_id)
            total += len(evaluation.upserts) + len(evaluation.deletes)
            if publisher is not None:
                await publisher.publish_evaluation(evaluation, view)
            if index % 20 == 19:
                await asyncio.sleep(0)  # let heartbeats and fetches run
        self._restage_on_new_day(as_of, views)
        transitions = self._evaluate_alerts(alerts, views, at) if alerts is not None else []
        stats = self.stats
        stats.evaluations += 1
        stats.last_evaluation_s = time.perf_counter() - started
        stats.last_evaluation_records = total
        stats.last_evaluation_accounts = len(views)
        stats.last_evaluation_at = at
        await self.publish_transitions(transitions)
        if publisher is not None:
            await publisher.flush(self.summary())
        return total

    def _refresh_slice(self) -> set[str]:
        """The accounts to publish whole at this evaluation: round robin, so that each one
        is once per `view_refresh_s` (a key lost from Redis is repaired by then)."""
        order = self._refresh_order
        share = self.settings.evaluation_interval_s / self.settings.view_refresh_s
        count = min(len(order), math.ceil(len(order) * share))
        out: set[str] = set()
        for _ in range(count):
            account_id = order.popleft()
            if account_id in self._published:
                order.append(account_id)
                out.add(account_id)
        return out

    def _refill_needed(self, publisher: RecordsPublisher | None) -> bool:
        """After a rebuild (the accounts' states were replaced, some moved away) or when a
        sink lost its view: the next evaluation is full, for every local account."""
        lost = isinstance(publisher, FanoutPublisher) and publisher.refill_needed()
        rebuilt = self._evaluated_rebuild != self.table.socialkpi_rebuilds
        if rebuilt:
            self._evaluated_rebuild = self.table.socialkpi_rebuilds
            self.engine.forget_accounts()
            local = {account_id for account_id, _st in self.store.accounts()}
            gone = sorted(self._published - local)
            self._published &= local
            self._refresh_order = collections.deque(
                a for a in self._refresh_order if a in self._published
            )
            if gone and isinstance(publisher, FanoutPublisher):
                publisher.forget(gone)
            if gone and self.alerts is not None:
                for account_id in gone:
                    self.alerts.forget(account_id)
        return lost or rebuilt

    def _restage_on_new_day(self, as_of: int, views: dict[str, AccountView]) -> None:
        """Gauges export only the current day, week and month: at a new UTC day every
        account's gauges are rebuilt from its view (records unchanged, labels not)."""
        if self.exporter is None or not self.exporter.new_day(as_of):
            return
        at = format_ts(as_of)
        for account_id in sorted(self._published - set(views)):
            view = self.engine.account_view(account_id)
            if view is not None:
                self.exporter.restage(view, at)

    def _evaluate_alerts(
        self, alerts: AlertEvaluator, views: dict[str, AccountView], at: str
    ) -> list[AlertTransition]:
        """The accounts evaluated now, and those with a pending or firing alert (a pending
        one fires with time alone): their rules, and their firing list in Redis."""
        transitions: list[AlertTransition] = []
        publisher = self.publisher
        for account_id in sorted(set(views) | alerts.accounts()):
            view = views.get(account_id) or self.engine.account_view(account_id)
            if view is None:
                continue
            transitions.extend(alerts.evaluate(account_id, view.records, at=at))
            if isinstance(publisher, FanoutPublisher):
                publisher.call("set_firing", account_id, firing_alerts(alerts, account_id))
        return transitions

    async def publish_transitions(self, transitions: list[AlertTransition]) -> None:
        """To the compacted alert topic (the evaluator's memory), acknowledged, and only then
        to the sinks' alert feed: a worker killed in between must not leave an alert the
        sinks announced but its successor does not know of (it would announce it again)."""
        sent = []
        for transition in transitions:
            log.info(
                "alert %s %s for %s (value %s, threshold %s, sample %s)",
                transition.rule,
                transition.state,
                transition.account_id,
                transition.value,
                transition.threshold,
                transition.sample,
            )
            sent.append(
                await self.alert_topic.send(
                    key=transition.key.encode(), value=transition.to_json().encode()
                )
            )
        try:
            await asyncio.wait_for(asyncio.gather(*sent), ALERT_ACK_TIMEOUT_S)
        except Exception as error:  # the broker is away: alert anyway, a successor may repeat it
            log.warning("alert transitions not acknowledged by the alert topic: %r", error)
        if transitions and isinstance(self.publisher, FanoutPublisher):
            self.publisher.call("add_transitions", transitions)

    async def _restore_alerts(self, alerts: AlertEvaluator) -> None:
        rebuilds = self.table.socialkpi_rebuilds
        try:
            restored = restore_firing(alerts, await last_transitions(self.settings))
        except Exception as error:
            log.warning("reading the alert topic failed (%r); retried next evaluation", error)
            return
        self._alerts_synced = rebuilds
        log.info("alert state restored: %d firing", restored)

    def summary(self) -> dict[str, Any]:
        out = self.stats.snapshot()
        out.update(
            worker_id=self.worker_id,
            app_id=self.settings.app_id,
            accounts=len(self.store),
            future_events_held=self.engine.pending_count(),
            partitions=sorted(self.store.active_partitions or ()),
            changelog_records=self.io.records_sent,
            changelog_batches=self.io.batches_sent,
            metrics_port=self.metrics_port,
        )
        return out

    async def _on_shutdown(self, sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        await self.commit_offsets()
        await self.locator.close()
        await self.io.close()
        if self.publisher is not None:
            await self.publisher.close()

    async def _commit_timer(self) -> None:
        """Commit, and find records lost at the tail of a partition (no later record
        reveals the jump there): the ledger compares the fetch positions with its own."""
        if not self.app.rebalancing:
            consumer: Any = self.app.consumer
            positions: dict[Any, int] = {}
            try:
                for tp in self.ledger.owned():
                    position = await consumer.position(tp)
                    if position is not None:
                        positions[tp] = position
            except Exception as error:  # revoked meanwhile: the next tick
                log.debug("reading fetch positions failed: %r", error)
            else:
                self.ledger.watch(positions)
                await self.resync()
        await self.commit_offsets()

    async def _evaluate_timer(self) -> None:
        try:
            await self.evaluate_and_publish()
        except Exception:
            log.exception("evaluation failed")

    async def _lag_timer(self) -> None:
        if self.exporter is None or self.app.rebalancing:
            return
        try:
            lags = await input_lag(self.app.consumer, self.ledger.committed_positions())
        except Exception as error:  # a rebalance or a broker hiccup: next tick
            log.debug("reading the consumer lag failed: %r", error)
            return
        metrics = self.exporter.worker
        for topic, partition in self._lag_reported - {(tp.topic, tp.partition) for tp in lags}:
            metrics.consumer_lag.remove(topic, str(partition))  # moved to another worker
        for tp, lag in lags.items():
            metrics.set_consumer_lag(tp.topic, tp.partition, lag)
        self._lag_reported = {(tp.topic, tp.partition) for tp in lags}

    async def _prune_timer(self) -> None:
        if self.store.active_partitions is None or self.app.rebalancing:
            return
        self.store.begin_batch()
        self.engine.prune()
        written = self.store.flush(everything=True)
        await self.send_state()
        log.info("pruned state: %d changelog records", written)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="[%(asctime)s] %(levelname)s %(name)s: %(message)s"
    )


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run_worker(settings: WorkerSettings | None = None) -> None:
    """Create the topics (if configured), then run the worker until SIGTERM/SIGINT."""
    settings = settings or WorkerSettings()
    loop = new_event_loop(settings.event_loop)
    asyncio.set_event_loop(loop)
    loop.run_until_complete(preflight(settings, SinkSettings()))
    if settings.create_topics:
        loop.run_until_complete(ensure_topics(settings))
    worker = KpiWorker(settings)
    worker.serve_metrics()
    runner = BoundedStopWorker(worker.app, loop=loop, loglevel=settings.log_level)
    runner.stop_timeout_s = settings.stop_timeout_s
    limit_repeats(settings.repeated_log_window_s)
    runner.execute_from_commandline()
