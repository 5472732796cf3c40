"""The state table and its changelog writer: the Faust side of `streams.store.TableBackedStore`.

`StateTable` tells the store which keys the changelog restored (and rebuilds the accounts
once recovery completes); `KafkaTableIO` appends one record batch per group of writes, so a
group lands whole or not at all, and lets the worker wait for the broker's acks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from faust.types import TP

from streams import faults
from streams.offsets import OffsetLedger
from streams.settings import WorkerSettings
from streams.store import TableBackedStore

log = logging.getLogger("streams")


class StateTable(faust.Table[bytes, bytes]):
    """The state table; knows the store so recovery can rebuild the accounts."""

    socialkpi_store: TableBackedStore | None = None
    socialkpi_io: KafkaTableIO | None = None
    socialkpi_ledger: OffsetLedger | None = None
    socialkpi_inputs: frozenset[str] = frozenset()  # input topic names
    socialkpi_after_rebuild: Callable[[], object] | None = None  # e.g. reindex parked events
    socialkpi_rebuilds = 0  # how many times the local accounts were rebuilt (assignments)

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
            if self.socialkpi_after_rebuild is not None:
                self.socialkpi_after_rebuild()
            self.socialkpi_rebuilds += 1
            positions = await self._seek_inputs()
            ledger = self.socialkpi_ledger
            if ledger is not None:
                ledger.revoke(ledger.owned() - set(positions))
                ledger.assign(positions)
            log.info(
                "state rebuilt for partitions %s in %.2fs: %s",
                sorted(tp.partition for tp in active_tps),
                time.perf_counter() - started,
                info,
            )

    async def _seek_inputs(self, attempts: int = 5) -> dict[Any, int]:
        """Position the (still paused) input partitions before Faust resumes them; returns
        where each one starts, for the offset ledger.

        Seeks to the committed offsets, and a partition without one to its earliest offset
        (what auto_offset_reset=earliest means): faust-streaming 0.15.3 resumes partitions
        before it seeks, and cannot bring back records fetched past a partition that never
        committed. Whatever Faust then delivers out of order, the ledger sees it
        (`streams.offsets`). A failure is retried; if it persists the worker stops rather
        than consume partitions it could not position; one superseded by a new rebalance
        positions nothing (every record is discarded until that rebalance completes).
        """
        consumer: Any = self.app.consumer
        faults.install(consumer, set(self.socialkpi_inputs))
        generation = self.app.consumer_generation_id
        for attempt in range(1, attempts + 1):
            if self.app.consumer_generation_id != generation:
                return {}  # superseded: the next rebalance's recovery positions them
            try:
                committed = await consumer.seek_to_committed()
                positions: dict[Any, int] = {}
                uncommitted = []
                for tp, offset in committed.items():
                    if tp.topic not in self.socialkpi_inputs:
                        continue
                    if offset is None or offset <= 0:
                        uncommitted.append(TP(tp.topic, tp.partition))
                    else:
                        positions[TP(tp.topic, tp.partition)] = offset
                if uncommitted:
                    earliest = await consumer.earliest_offsets(*uncommitted)
                    for tp in uncommitted:
                        start = earliest.get(tp) or 0
                        await consumer.seek(tp, start)
                        positions[tp] = start
                await consumer.perform_seek()
                return positions
            except Exception as error:
                log.warning("seeking input partitions failed (try %d): %r", attempt, error)
                await asyncio.sleep(0.5 * attempt)
        failure = RuntimeError("cannot position the input partitions after a rebalance")
        await self.app.crash(failure)
        raise failure


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
