"""The chaos suite's independent checker: what ended in Redis and Kafka, against replay.

It reads only the outputs (Redis hashes, the dead-letter topic, the group's committed and
end offsets) and compares them with `cli.replay` of the produced log: it shares no code
with the worker's processing path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.topics import retry_transient
from tests.worker.harness import WorkerSetup, partition_lags, redis_records


@dataclass
class Verdict:
    records_expected: int = 0
    records_missing: int = 0
    records_extra: int = 0
    records_wrong: int = 0
    bad_lines: int = 0
    dead_letters_missing: int = 0
    uncommitted: dict[str, int] = field(default_factory=dict)  # "topic[p]" -> lag
    examples: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return (
            self.records_missing
            + self.records_extra
            + self.records_wrong
            + self.dead_letters_missing
            + len(self.uncommitted)
        )

    def line(self) -> str:
        return (
            f"{self.records_expected} records: {self.records_missing} missing, "
            f"{self.records_extra} extra, {self.records_wrong} wrong; {self.bad_lines} bad "
            f"lines: {self.dead_letters_missing} never dead-lettered; "
            f"uncommitted partitions: {len(self.uncommitted)}"
        )


def compare_records(
    verdict: Verdict, expected: dict[str, dict[str, str]], got: dict[str, dict[str, str]]
) -> None:
    for account in sorted(set(expected) | set(got)):
        want, have = expected.get(account, {}), got.get(account, {})
        verdict.records_expected += len(want)
        missing = set(want) - set(have)
        extra = set(have) - set(want)
        wrong = [k for k in set(want) & set(have) if want[k] != have[k]]
        verdict.records_missing += len(missing)
        verdict.records_extra += len(extra)
        verdict.records_wrong += len(wrong)
        for key in sorted(missing)[:1] + sorted(wrong)[:1]:
            if len(verdict.examples) < 6:
                verdict.examples.append(f"{account} {key}: {have.get(key)} != {want.get(key)}")


async def dead_lettered(setup: WorkerSetup) -> set[tuple[str, int, int]]:
    """(topic, partition, offset) of every original the dead-letter topic holds."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=setup.bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await retry_transient(consumer.start)
    out: set[tuple[str, int, int]] = set()
    try:
        tps = [TopicPartition(setup.dead_letter_topic, p) for p in range(setup.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for messages in (await consumer.getmany(timeout_ms=1000)).values():
                for message in messages:
                    letter = json.loads(message.value)
                    out.add((letter["topic"], letter["partition"], letter["offset"]))
    finally:
        await consumer.stop()
    return out


async def uncommitted(setup: WorkerSetup) -> dict[str, int]:
    """Input partitions whose committed offset is not their end offset."""
    return {
        f"{tp.topic}[{tp.partition}]": behind
        for tp, behind in (await partition_lags(setup)).items()
        if behind != 0
    }


async def check(
    setup: WorkerSetup,
    client: aioredis.Redis,
    expected: dict[str, dict[str, str]],
    bad_offsets: Iterable[tuple[str, int, int]],
) -> Verdict:
    verdict = Verdict()
    compare_records(verdict, expected, await redis_records(client, setup.redis_prefix, expected))
    bad = set(bad_offsets)
    verdict.bad_lines = len(bad)
    verdict.dead_letters_missing = len(bad - await dead_lettered(setup))
    verdict.uncommitted = await uncommitted(setup)
    return verdict
