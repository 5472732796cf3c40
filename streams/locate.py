"""`RecordLocator`: asks the broker which offsets of a partition hold records.

The offset ledger cannot tell, from offsets alone, records lost on the way from offsets
that hold none (compaction, transaction markers). This group-less consumer, separate from
Faust's, reads the first record at or after an offset; it is used only after a jump, so
rarely, and costs one fetch.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.settings import WorkerSettings

LOCATE_TIMEOUT_S = 30.0


class RecordLocator:
    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self._consumer: AIOKafkaConsumer | None = None
        self.probes = 0

    async def _ensure(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            s = self.settings
            consumer = AIOKafkaConsumer(
                bootstrap_servers=s.bootstrap_servers,
                client_id=f"{s.app_id}-locate",
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",  # an offset deleted by retention: the oldest
                max_partition_fetch_bytes=64 * 1024,
                **s.aiokafka_auth(),
            )
            await consumer.start()
            self._consumer = consumer
        return self._consumer

    async def first_at_or_after(self, tp: Any, offset: int) -> tuple[int | None, int]:
        """(offset of the first record at or after `offset` or None, the end offset)."""
        self.probes += 1
        consumer = await self._ensure()
        part = TopicPartition(tp.topic, tp.partition)
        consumer.assign([part])
        end = int((await consumer.end_offsets([part]))[part])
        if offset >= end:
            return None, end
        consumer.seek(part, offset)
        async with asyncio.timeout(LOCATE_TIMEOUT_S):
            while True:
                fetched = await consumer.getmany(part, timeout_ms=1000, max_records=1)
                for records in fetched.values():
                    if records:
                        return int(records[0].offset), end
                if await consumer.position(part) >= end:
                    return None, end

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
