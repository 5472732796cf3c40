"""The live worker: one Faust agent per input topic, the pure engine, a changelog-backed table.

Per batch (`stream.take_events`, up to `batch_size` events or `batch_within_s` seconds):
validate each message (`models.parse_event`), send rejects to the dead-letter topic, apply
the rest to the in-memory `AccountState`s, then write the touched entities to the state
table once (`TableBackedStore.flush`). A batch is processed without awaiting, so batches of
the six agents, the timers and rebalances never interleave. A timer evaluates every local
account at the evaluation clock (wall clock, or the pinned `as_of`) and hands the records to
a `RecordsPublisher`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import faust
from aiokafka import AIOKafkaProducer
from faust.types import TP

from kpis import Engine, EngineConfig
from kpis.actors import warm_prospects
from kpis.invitations import stale_pending
from kpis.state import AccountState
from kpis.timeutil import format_ts
from models import EventRejected, parse_event
from models.records import KpiRecord
from streams.publisher import RecordsPublisher, RedisRecordsPublisher
from streams.settings import WorkerSettings
from streams.store import OwnershipError, TableBackedStore
from streams.topics import STATE_TABLE, ensure_topics

log = logging.getLogger("streams")
MAX_REASONS = 200  # distinct dead-letter reasons kept in the stats (kinds are unbounded-safe)
DLQ_ORIGINAL_MAX = 1024 * 1024
PROGRESS_LOG_S = 10.0


def wall_clock_us() -> int:
    return time.time_ns() // 1000


# --------------------------------------------------------------------------- state table


class StateTable(faust.Table[bytes, bytes]):
    """The state table; knows the store so recovery can rebuild the accounts."""

    socialkpi_store: TableBackedStore | None = None
    socialkpi_io: KafkaTableIO | None = None

    def apply_changelog_batch(self, batch: Iterable[Any]) -> None:
        events = list(batch)
        store = self.socialkpi_store
        if store is not None:
            note = store.note_changelog
            for event in events:
                key = event.message.key
                if key is not None:
                    note(key, event.message.partition)
        super().apply_changelog_batch(events)

    async def on_recovery_completed(self, active_tps: set[Any], standby_tps: set[Any]) -> None:
        await super().on_recovery_completed(active_tps, standby_tps)
        store = self.socialkpi_store
        if store is not None:
            started = time.perf_counter()
            info = store.rebuild({tp.partition for tp in active_tps})
            await self._seek_inputs()
            log.info(
                "state rebuilt for partitions %s in %.2fs: %s",
                sorted(tp.partition for tp in active_tps),
                time.perf_counter() - started,
                info,
            )

    async def _seek_inputs(self) -> None:
        """Position the (still paused) input partitions before Faust resumes them.

        Works around two faust-streaming 0.15.3 behaviours seen after a SIGKILL: (1) Faust
        resumes input partitions and only then seeks them to their committed offsets, so
        messages fetched in between are processed, acked below the committed offset, and its
        ack bookkeeping stops committing those partitions; (2) records fetched while flow is
        stopped are dropped, and Faust's "seek back to committed" cannot bring them back for
        a partition without a committed offset: the position stays past them (lost
        messages). So: seek to committed now, and a partition without a committed offset to
        its earliest offset (what auto_offset_reset=earliest means).
        """
        consumer: Any = self.app.consumer
        try:
            committed = await consumer.seek_to_committed()
            uncommitted = [
                TP(tp.topic, tp.partition)
                for tp, offset in committed.items()
                if (offset is None or offset <= 0) and not _internal_topic(tp.topic)
            ]
            if uncommitted:
                earliest = await consumer.earliest_offsets(*uncommitted)
                for tp in uncommitted:
                    await consumer.seek(tp, earliest.get(tp) or 0)
            await consumer.perform_seek()
        except Exception as error:  # a new rebalance is under way; Faust seeks again
            log.warning("seeking input partitions failed: %r", error)


def _internal_topic(topic: str) -> bool:
    return topic.endswith("-changelog") or "__assignor" in topic


class KafkaTableIO:
    """`streams.store.TableIO` over the Faust table: the memory store's dict is the local
    copy (Faust fills it from the changelog on recovery); writes go to the changelog through
    a producer of our own, one record batch per group, so that a group is appended whole
    or not at all. `send_pending()` returns once the broker acknowledged everything written
    so far: a batch of events is acked (and its offsets committed) only after its state."""

    def __init__(self, table: StateTable, settings: WorkerSettings) -> None:
        self.table = table
        self.settings = settings
        self.atomic_bytes = settings.changelog_batch_bytes
        self._outbox: list[tuple[int, list[tuple[bytes, bytes | None]]]] = []
        self._producer: AIOKafkaProducer | None = None
        self._lock: asyncio.Lock | None = None
        self.records_sent = 0
        self.batches_sent = 0

    @property
    def _local(self) -> MutableMapping[bytes, bytes]:
        data: MutableMapping[bytes, bytes] = self.table.data.data  # the memory store's dict
        return data

    def get(self, key: bytes) -> bytes | None:
        return self._local.get(key)

    def write_group(self, partition: int, writes: list[tuple[bytes, bytes | None]]) -> None:
        local = self._local
        for key, value in writes:
            if value is None:
                local.pop(key, None)
            else:
                local[key] = value
        self._outbox.append((partition, writes))

    def set_local(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self._local.pop(key, None)
        else:
            self._local[key] = value

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        return list(self._local.items())

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            s = self.settings
            producer = AIOKafkaProducer(
                bootstrap_servers=s.bootstrap_servers,
                client_id=f"{s.app_id}-state",
                acks="all",
                linger_ms=0,
                max_batch_size=self.atomic_bytes + 64 * 1024,
                max_request_size=s.changelog_max_message_bytes,
                request_timeout_ms=60_000,
                **s.aiokafka_auth(),
            )
            await producer.start()
            self._producer = producer
        return self._producer

    async def send_pending(self) -> None:
        """Send every group written so far, in order; wait for the broker's acks."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._outbox:
                return
            groups, self._outbox = self._outbox, []
            producer = await self._ensure_producer()
            topic = self.table.changelog_topic.get_topic_name()
            pending: dict[int, list[asyncio.Future[Any]]] = {}
            for partition, writes in groups:
                # Batches of one partition go one after the other (a retried request must
                # not overtake the next); different partitions go in parallel.
                if partition in pending:
                    await asyncio.gather(*pending.pop(partition))
                futures = pending.setdefault(partition, [])
                batch = producer.create_batch()
                for key, value in writes:
                    if batch.append(key=key, value=value, timestamp=None) is None:
                        # Only when a group exceeds atomic_bytes (journal disabled).
                        futures.append(await producer.send_batch(batch, topic, partition=partition))
                        self.batches_sent += 1
                        batch = producer.create_batch()
                        batch.append(key=key, value=value, timestamp=None)
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                self.batches_sent += 1
                self.records_sent += len(writes)
            await asyncio.gather(*(f for futures in pending.values() for f in futures))

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


# --------------------------------------------------------------------------- stats


@dataclass(slots=True)
class WorkerStats:
    """Counters for metrics: outcomes of the engine, dead letters, batches, evaluations."""

    outcomes: Counter[str]  # applied / duplicate / late / after_as_of (the engine's stats)
    messages: int = 0
    batches: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)  # by kind
    dead_letter_reasons: Counter[str] = field(default_factory=Counter)  # by reason (bounded)
    evaluations: int = 0
    last_evaluation_s: float = 0.0
    last_evaluation_records: int = 0
    last_evaluation_at: str = ""
    rebuilds: int = 0

    def dead_letter(self, kind: str, reason: str) -> None:
        self.dead_letters[kind] += 1
        if reason in self.dead_letter_reasons or len(self.dead_letter_reasons) < MAX_REASONS:
            self.dead_letter_reasons[reason] += 1
        else:
            self.dead_letter_reasons["(other)"] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "batches": self.batches,
            "outcomes": dict(self.outcomes),
            "dead_letters": dict(self.dead_letters),
            "dead_letter_reasons": dict(self.dead_letter_reasons),
            "evaluations": self.evaluations,
            "last_evaluation_s": round(self.last_evaluation_s, 4),
            "last_evaluation_records": self.last_evaluation_records,
            "last_evaluation_at": self.last_evaluation_at,
        }


# --------------------------------------------------------------------------- worker


class _OneAccount:
    """A StateStore view of a single account, to evaluate accounts one at a time."""

    def __init__(self, account_id: str, st: AccountState) -> None:
        self._item = (account_id, st)

    def get(self, account_id: str) -> AccountState:
        return self._item[1]

    def accounts(self) -> Iterator[tuple[str, AccountState]]:
        yield self._item


def account_details(st: AccountState, as_of: int, config: EngineConfig) -> dict[str, Any]:
    """What Redis shows beyond the records: stale invitation ids, ranked warm prospects."""
    return {
        "stale_pending_invitations": [inv_id for inv_id, _ in stale_pending(st, as_of, config)],
        "warm_prospects": [
            {
                "actor_id": w.actor_id,
                "interactions": w.interactions,
                "invite_to_connect": w.invite_to_connect,
            }
            for w in warm_prospects(st, as_of, config)
        ],
    }


class KpiWorker:
    """Builds the Faust app (agents, table, timers) around one engine and one store."""

    def __init__(
        self,
        settings: WorkerSettings,
        publisher: RecordsPublisher | None = None,
        config: EngineConfig | None = None,
    ) -> None:
        self.settings = settings
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.config = config or EngineConfig()
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
        self.app.on_before_shutdown.connect(cast(Any, self._on_shutdown))
        self.engine = Engine(
            config=self.config,
            store=self.store,
            processing_clock=self.store.processing_time,
            apply_until=settings.as_of_us,
        )
        self.stats = WorkerStats(outcomes=self.engine.stats)
        self._last_progress_log = 0.0
        if publisher is None and settings.publish_redis:
            publisher = RedisRecordsPublisher(
                settings.redis_url, settings.redis_prefix, settings.redis_ttl_s, self.worker_id
            )
        self.publisher = publisher
        self.dead_letter_topic = self.app.topic(
            settings.dead_letter_topic, key_serializer="raw", value_serializer="raw"
        )
        for short, name in settings.topics.items():
            self._add_agent(short, name)
        self.app.timer(settings.evaluation_interval_s, name="socialkpi.evaluate")(
            self._evaluate_timer
        )
        self.app.timer(settings.prune_interval_s, name="socialkpi.prune")(self._prune_timer)

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
        topic = self.app.topic(
            topic_name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
        )
        size, within = self.settings.batch_size, self.settings.batch_within_s

        async def ingest(stream: Any) -> None:
            async for events in stream.take_events(size, within=within):
                await self.process_batch(events)

        ingest.__name__ = ingest.__qualname__ = f"ingest_{short}"
        self.app.agent(topic, name=f"socialkpi.ingest.{short}")(ingest)

    # --- processing -----------------------------------------------------------------------
    async def process_batch(self, events: Sequence[Any]) -> None:
        """Apply a batch, then wait until its state is in the changelog (only then does
        Faust ack the events). A failure to write state stops the worker rather than let
        Faust ack, and later commit, events whose effects are not stored."""
        self.apply_batch(events)
        await self.send_state()
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

    def apply_batch(self, events: Sequence[Any]) -> None:
        """Validate and apply a batch, then write the touched state once (into the outbox).
        Never raises for one bad event; does not await, so that batches of different agents,
        timers and rebalances never interleave with a half-applied batch."""
        store, engine, stats = self.store, self.engine, self.stats
        max_bytes = self.settings.max_message_bytes
        store.begin_batch()
        stats.batches += 1
        stats.messages += len(events)
        for event in events:
            message = event.message
            raw = message.value
            try:
                if raw is None:
                    raise EventRejected("empty message (null value)", "malformed_json")
                parsed = parse_event(raw, max_bytes)
                if message.key != parsed.account_id.encode():
                    raise EventRejected(
                        "key: the message key must equal account_id", "key_mismatch"
                    )
                store.route(parsed.account_id, message.partition)
                engine.apply(parsed)
            except EventRejected as rejected:
                self.dead_letter(message, rejected.reason, rejected.kind)
            except OwnershipError as wrong:
                self.dead_letter(message, str(wrong), "wrong_partition")
            except Exception as error:  # an engine bug must not stop the stream
                log.exception(
                    "processing failed at %s[%s]@%s",
                    message.topic,
                    message.partition,
                    message.offset,
                )
                self.dead_letter(
                    message, f"processing error: {type(error).__name__}", "processing_error"
                )
        store.flush()

    def dead_letter(self, message: Any, reason: str, kind: str) -> None:
        raw: bytes = message.value or b""
        key: bytes | None = message.key
        document = {
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "key": None if key is None else base64.b64encode(key).decode(),
            "original": base64.b64encode(raw[:DLQ_ORIGINAL_MAX]).decode(),
            "original_bytes": len(raw),
            "truncated": len(raw) > DLQ_ORIGINAL_MAX,
            "reason": reason,
            "kind": kind,
            "time": format_ts(wall_clock_us()),
            "app_id": self.settings.app_id,
        }
        self.stats.dead_letter(kind, reason)
        self.dead_letter_topic.send_soon(
            key=key, value=json.dumps(document, separators=(",", ":")).encode()
        )

    # --- evaluation -----------------------------------------------------------------------
    def evaluation_time(self) -> int:
        pinned = self.settings.as_of_us
        return pinned if pinned is not None else wall_clock_us()

    def evaluate_account(self, account_id: str, st: AccountState, as_of: int) -> list[KpiRecord]:
        return Engine(config=self.config, store=_OneAccount(account_id, st)).evaluate(as_of)

    async def evaluate_and_publish(self) -> int:
        """Evaluate every local account and publish; returns the number of records."""
        if self.store.active_partitions is None or self.app.rebalancing:
            return 0
        started = time.perf_counter()
        as_of = self.evaluation_time()
        total = 0
        publisher = self.publisher
        for index, (account_id, st) in enumerate(list(self.store.accounts())):
            records = self.evaluate_account(account_id, st, as_of)
            total += len(records)
            if publisher is not None:
                details = account_details(st, as_of, self.config)
                await publisher.publish(account_id, records, details)
            if index % 20 == 19:
                await asyncio.sleep(0)  # let heartbeats and fetches run
        stats = self.stats
        stats.evaluations += 1
        stats.last_evaluation_s = time.perf_counter() - started
        stats.last_evaluation_records = total
        stats.last_evaluation_at = format_ts(as_of)
        if publisher is not None:
            await publisher.flush(self.summary())
        return total

    def summary(self) -> dict[str, Any]:
        out = self.stats.snapshot()
        out.update(
            worker_id=self.worker_id,
            app_id=self.settings.app_id,
            accounts=len(self.store),
            partitions=sorted(self.store.active_partitions or ()),
            changelog_records=self.io.records_sent,
            changelog_batches=self.io.batches_sent,
        )
        return out

    async def _on_shutdown(self, sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        await self.io.close()
        if self.publisher is not None:
            await self.publisher.close()

    async def _evaluate_timer(self) -> None:
        try:
            await self.evaluate_and_publish()
        except Exception:
            log.exception("evaluation failed")

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


def run_worker(settings: WorkerSettings | None = None) -> None:
    """Create the topics (if configured), then run the worker until SIGTERM/SIGINT."""
    settings = settings or WorkerSettings()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    if settings.create_topics:
        loop.run_until_complete(ensure_topics(settings))
    worker = KpiWorker(settings)
    runner = faust.Worker(worker.app, loop=loop, loglevel=settings.log_level)
    runner.execute_from_commandline()
