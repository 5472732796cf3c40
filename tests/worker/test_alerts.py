"""Alert transitions from the live worker: firing and resolved, to the compacted alert topic
and to Redis (firing list per account, transition stream), surviving a SIGKILL without
announcing a firing alert twice."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from sinks.redis.alerts import RedisAlertFeed

from .harness import (
    WorkerProcess,
    WorkerSetup,
    produce,
    read_topic,
    worker_topics,
)
from .helpers import invitation

pytestmark = pytest.mark.integration

AS_OF = "2026-11-20T12:00:00Z"
RULE = "InvitationAcceptanceRateLow"
CONFIG = """
version: 1
sustain:
  InvitationAcceptanceRateLow: 0s
  InvitationAcceptanceRateBelowBaseline: 0s
"""


@pytest.fixture
async def setup(
    kafka_bootstrap: str, redis_url: str, redis_prefix: str, unique_name: str, tmp_path: Path
) -> AsyncIterator[WorkerSetup]:
    config = tmp_path / "alerting.yaml"
    config.write_text(CONFIG)
    async with worker_topics(
        kafka_bootstrap,
        redis_url,
        redis_prefix,
        unique_name,
        tmp_path / "worker",
        partitions=2,
        as_of=AS_OF,
        extra={"ALERTING_CONFIG": str(config)},
    ) as run:
        yield run


async def wait_for(
    check: object, what: str, workers: list[WorkerProcess], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return
        for worker in workers:
            assert worker.alive(), worker.tail()
        await asyncio.sleep(0.3)
    raise AssertionError(
        f"timed out waiting for {what}:\n" + "\n".join(w.tail(60) for w in workers)
    )


async def test_worker_alert_transitions(
    setup: WorkerSetup, redis_client: aioredis.Redis, redis_url: str
) -> None:
    feed = RedisAlertFeed(redis_client, setup.redis_prefix, 60)
    low, ok = "rep-low", "rep-ok"
    items = [invitation(a, n) for a in (low, ok) for n in range(30)]
    items += [invitation(low, n, "accepted") for n in range(5)]  # 5/30: under 30 %
    items += [invitation(ok, n, "accepted") for n in range(20)]  # 20/30
    await produce(setup, items)
    alert_topic = setup.settings().alert_topic
    workers = [WorkerProcess(setup, "worker-0")]
    try:

        async def firing_in_redis() -> bool:
            raw = await redis_client.get(feed.alerts_key(low))
            return raw is not None and [a["rule"] for a in json.loads(raw)] == [RULE]

        await wait_for(firing_in_redis, "the firing alert in Redis", workers)
        assert await redis_client.get(feed.alerts_key(ok)) is None
        stream = await redis_client.xrange(feed.transitions_key)
        fired = [json.loads(fields["transition"]) for _, fields in stream]
        assert [(t["account_id"], t["rule"], t["state"]) for t in fired] == [(low, RULE, "firing")]
        assert fired[0]["value"] == pytest.approx(5 / 30) and fired[0]["sample"] == 30
        assert fired[0]["threshold"] == pytest.approx(0.30) and fired[0]["at"] == AS_OF

        # SIGKILL, restart: the firing alert is restored from the topic, not announced again.
        workers[0].kill()
        workers.append(WorkerProcess(setup, "worker-1"))

        async def restored() -> bool:
            return "alert state restored: 1 firing" in workers[1].log_path.read_text()

        await wait_for(restored, "the restored alert state", workers[1:])
        await asyncio.sleep(3)  # a few more evaluations of the same records
        messages = await read_topic(setup.bootstrap, alert_topic, 2, 5)
        assert [json.loads(m.value)["state"] for m in messages] == ["firing"]

        # Acceptances bring the cohort to 20/30: the new worker resolves the alert.
        await produce(setup, [invitation(low, n, "accepted") for n in range(5, 20)])

        async def resolved() -> bool:
            return await redis_client.get(feed.alerts_key(low)) is None

        await wait_for(resolved, "the resolved alert", workers[1:])
        messages = await read_topic(setup.bootstrap, alert_topic, 2, 10)
        assert [m.key for m in messages] == [f"{low}:{RULE}".encode()] * 2
        last = json.loads(messages[-1].value)
        assert last["state"] == "resolved" and last["value"] == pytest.approx(20 / 30)
        stream = await redis_client.xrange(feed.transitions_key)
        states = [json.loads(fields["transition"])["state"] for _, fields in stream]
        assert states == ["firing", "resolved"]
    finally:
        for worker in workers:
            if worker.alive():
                worker.stop()
