"""Batch messages (contract 1.1) through the live worker on the real broker: the records
equal replay of the same events, and each bad item is dead-lettered alone with its index."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from kpis.timeutil import format_ts

from .harness import (
    WorkerProcess,
    WorkerSetup,
    produce_batches,
    read_topic,
    wait_drained,
    wait_records,
    worker_status,
)
from .helpers import by_account, event_log, is_invalid, max_event_time, replay_records, write_log

pytestmark = pytest.mark.integration


@pytest.fixture
def partitions() -> int:
    return 2


async def test_batch_messages_equal_replay_and_bad_items_dead_letter_alone(
    setup: WorkerSetup,
    workers: list[WorkerProcess],
    redis_client: aioredis.Redis,
    tmp_path: Path,
) -> None:
    items = event_log(seed=21, accounts=5, events=8000, invalid_rate=0.01)
    as_of = max_event_time(items)
    expected = by_account(replay_records(write_log(tmp_path / "log.jsonl", items), as_of))
    setup.as_of = format_ts(as_of)
    messages = await produce_batches(setup, items, max_events=300)
    assert messages < len(items) / 20
    workers.append(WorkerProcess(setup, "worker-0"))
    await wait_drained(setup, workers, 90)
    await wait_records(redis_client, setup.redis_prefix, expected, workers, 45)

    bad = [item.line for item in items if is_invalid(item.line)]
    assert bad
    letters = [
        json.loads(m.value)
        for m in await read_topic(setup.bootstrap, setup.dead_letter_topic, len(bad), 20)
    ]
    assert sorted(base64.b64decode(letter["original"]) for letter in letters) == sorted(bad)
    assert all(isinstance(letter["index"], int) for letter in letters)
    (status,) = await worker_status(redis_client, setup.redis_prefix)
    assert status["messages"] == messages
    assert sum(status["dead_letters"].values()) == len(bad)
