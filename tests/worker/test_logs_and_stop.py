"""A broker that goes away is said in a few lines, not 30 a second, and SIGTERM still ends
the worker (bounded by SOCIALKPI_STOP_TIMEOUT_S), on a real broker of the test's own."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from streams.logs import RepeatLimiter
from streams.shutdown import arm_stop_watchdog
from tests.local_broker import LocalBroker

from .harness import WorkerProcess, WorkerSetup, create_topics, worker_status


def record(
    msg: str, level: int = logging.ERROR, name: str = "aiokafka.client"
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, ("x",), None)


def test_a_repeated_template_passes_once_per_window_with_its_count() -> None:
    now = [0.0]
    limiter = RepeatLimiter(60.0, clock=lambda: now[0])
    assert limiter.filter(record("Unable connect to node %s"))
    assert not any(limiter.filter(record("Unable connect to node %s")) for _ in range(300))
    assert limiter.filter(record("Unable to update metadata from %s"))  # another template
    assert limiter.filter(record("Unable connect to node %s", name="aiokafka.conn"))  # logger
    assert limiter.filter(record("Unable connect to node %s", level=logging.DEBUG))
    now[0] = 61.0
    again = record("Unable connect to node %s")
    assert limiter.filter(again)
    assert again.getMessage() == "Unable connect to node x (and 300 like it in the last 60 s)"
    assert limiter.filter(record("Unable to update metadata from %s"))  # its own window


def test_the_watchdog_exits_with_status_1_only_when_the_stop_overruns() -> None:
    exited = threading.Event()
    codes: list[int] = []

    def exit_process(code: int) -> None:
        codes.append(code)
        exited.set()

    arm_stop_watchdog(0.05, exit_process)
    assert exited.wait(10) and codes == [1]
    codes.clear()
    quiet = arm_stop_watchdog(30.0, exit_process)
    quiet.cancel()
    assert quiet.daemon and codes == []


@pytest.mark.integration
async def test_kafka_away_is_a_few_lines_and_sigterm_still_stops(
    redis_url: str, redis_prefix: str, redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    broker = LocalBroker.plaintext(tmp_path / "broker")
    broker.start()
    setup = WorkerSetup(
        suffix="kafka-away",
        bootstrap=broker.bootstrap,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        data_dir=tmp_path / "worker",
        partitions=2,
        extra={"STOP_TIMEOUT_S": "5"},
    )
    worker: WorkerProcess | None = None
    try:
        await create_topics(setup)
        worker = WorkerProcess(setup, "worker")
        deadline = time.monotonic() + 90
        while not await worker_status(redis_client, redis_prefix):
            assert worker.alive() and time.monotonic() < deadline, worker.tail()
            await asyncio.sleep(0.5)
        before = len(worker.log_path.read_text().splitlines())
        broker.kill()
        await asyncio.sleep(10)  # aiokafka retries every 100 ms meanwhile
        during = worker.log_path.read_text().splitlines()[before:]
        assert worker.alive(), worker.tail()
        assert len(during) < 60, "\n".join(during[-60:])  # unlimited: 300+ in 10 s
        assert any("ERROR" in line for line in during), "the outage is said"
        worker.proc.terminate()
        deadline = time.monotonic() + 60  # 5 s of stop timeout, and margin for a busy machine
        while worker.alive() and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        assert not worker.alive(), "SIGTERM did not end the worker:\n" + worker.tail()
    finally:
        if worker is not None:
            worker.stop()
        broker.stop()
