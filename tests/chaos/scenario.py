"""One seeded chaos run: a noisy log produced first, then drained by workers that are
SIGKILLed at random moments (many while starting or recovering) and restarted, a second
worker that joins and leaves, the broker stopped and killed mid-run, the Redis view wiped.
At the end `checker.check` compares every output with replay.

The broker is the run's own (`tests.local_broker`), so stopping it touches no other test.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from kpis.timeutil import format_ts
from streams.topics import retry_transient
from tests.local_broker import LocalBroker
from tests.worker.harness import WorkerProcess, WorkerSetup, create_topics, lag, redis_records
from tests.worker.helpers import (
    LogItem,
    by_account,
    event_log,
    is_invalid,
    max_event_time,
    replay_records,
    write_log,
)

from .checker import Verdict, check


@dataclass(frozen=True)
class Plan:
    """The shape of a run; `short` is CI's variant."""

    accounts: int
    days: int
    chaos_s: float
    drain_timeout_s: float = 300.0

    @classmethod
    def of(cls, short: bool) -> Plan:
        return cls(accounts=6, days=20, chaos_s=25.0) if short else cls(8, 40, 45.0)


@dataclass
class Outcome:
    seed: int
    lines: int = 0
    kills: int = 0
    kills_while_starting: int = 0
    restarts_after_exit: int = 0
    broker_stops: int = 0
    broker_kills: int = 0
    redis_wipes: int = 0
    second_worker: str = ""
    seconds: float = 0.0
    verdict: Verdict = field(default_factory=Verdict)

    def line(self) -> str:
        return (
            f"seed {self.seed}: {self.lines} lines, {self.kills} SIGKILLs "
            f"({self.kills_while_starting} while starting), {self.restarts_after_exit} "
            f"restarts after an exit, broker {self.broker_stops} stop + {self.broker_kills} "
            f"kill, {self.redis_wipes} Redis wipes, second worker {self.second_worker}; "
            f"{self.seconds:.0f} s; {self.verdict.line()}"
        )


async def produce_tracking(setup: WorkerSetup, items: list[LogItem]) -> set[tuple[str, int, int]]:
    """Produce every item; returns (topic, partition, offset) of the invalid ones."""
    producer = AIOKafkaProducer(
        bootstrap_servers=setup.bootstrap, linger_ms=5, max_batch_size=1 << 20, acks="all"
    )
    await retry_transient(producer.start)
    sends = []
    try:
        for item in items:
            future = await producer.send(setup.topic(item.topic), item.line, key=item.key)
            if is_invalid(item.line):
                sends.append(future)
        await producer.flush()
        bad = set()
        for future in sends:
            meta = await future
            bad.add((meta.topic, meta.partition, meta.offset))
    finally:
        await producer.stop()
    return bad


class Chaos:
    """The moving parts of one run and the random moments they are hit."""

    def __init__(self, seed: int, plan: Plan, broker: LocalBroker, setup: WorkerSetup) -> None:
        self.rng = random.Random(seed)
        self.plan = plan
        self.broker = broker
        self.setup = setup
        self.outcome = Outcome(seed)
        self.main: WorkerProcess | None = None
        self.second: WorkerProcess | None = None
        self._names = 0
        self._started_at = 0.0

    def _spawn(self) -> WorkerProcess:
        self._names += 1
        return WorkerProcess(self.setup, f"worker-{self._names}")

    def restart_main(self) -> None:
        self.main = self._spawn()
        self._started_at = time.monotonic()

    def kill_main(self) -> None:
        if self.main is not None and self.main.alive():
            self.outcome.kills += 1
            if time.monotonic() - self._started_at < 8.0:  # about what a restart takes
                self.outcome.kills_while_starting += 1
            self.main.kill()

    def supervise(self) -> None:
        """Restart a worker that exited on its own (as systemd or Kubernetes would)."""
        if self.main is not None and not self.main.alive():
            self.outcome.restarts_after_exit += 1
            self.main.kill()
            self.restart_main()

    async def run(self) -> None:
        plan, rng = self.plan, self.rng
        chaos_s = plan.chaos_s
        moments = {
            "second_join": rng.uniform(0.15, 0.45) * chaos_s,
            "broker_stop": rng.uniform(0.3, 0.55) * chaos_s,
            "broker_kill": rng.uniform(0.6, 0.85) * chaos_s,
            "wipe_1": rng.uniform(0.1, 0.9) * chaos_s,
            "wipe_2": rng.uniform(0.1, 0.9) * chaos_s,
        }
        second_leave = moments["second_join"] + rng.uniform(5.0, 15.0)
        begin = time.monotonic()
        self.restart_main()
        next_kill = rng.uniform(0.5, 8.0)
        done: set[str] = set()
        while (now := time.monotonic() - begin) < chaos_s:
            self.supervise()
            if now >= next_kill:
                self.kill_main()
                await asyncio.sleep(rng.uniform(0.0, 1.0))
                self.restart_main()
                next_kill = now + rng.uniform(0.5, 8.0)
            for name, moment in moments.items():
                if name not in done and now >= moment:
                    done.add(name)
                    await self.act(name)
            if self.second is not None and now >= second_leave:
                how = rng.choice(["SIGTERM", "SIGKILL"])
                self.second.kill() if how == "SIGKILL" else self.second.stop()
                self.outcome.second_worker = f"joined and left ({how})"
                self.second = None
            await asyncio.sleep(0.1)
        for name in moments:  # a long broker outage can push the last moments past the end
            if name not in done:
                await self.act(name)
        if self.second is not None:
            self.second.stop()
            self.outcome.second_worker = "joined and left (SIGTERM)"
            self.second = None

    async def act(self, name: str) -> None:
        if name == "second_join":
            self.second = self._spawn()
        elif name in ("broker_stop", "broker_kill"):
            if name == "broker_stop":
                self.broker.stop()
                self.outcome.broker_stops += 1
            else:
                self.broker.kill()
                self.outcome.broker_kills += 1
            await asyncio.sleep(self.rng.uniform(1.0, 4.0))
            await asyncio.to_thread(self.broker.start)
        else:
            client = aioredis.Redis.from_url(self.setup.redis_url)
            try:
                keys = [k async for k in client.scan_iter(f"{self.setup.redis_prefix}*")]
                if keys:
                    await client.unlink(*keys)
            finally:
                await client.aclose()
            self.outcome.redis_wipes += 1

    async def settle(self, expected: dict[str, dict[str, str]]) -> None:
        """After the chaos: one worker drains the rest and publishes."""
        deadline = time.monotonic() + self.plan.drain_timeout_s
        while time.monotonic() < deadline:
            self.supervise()
            with contextlib.suppress(Exception):
                if await lag(self.setup) == 0:
                    break
            await asyncio.sleep(1.0)
        client = aioredis.Redis.from_url(self.setup.redis_url, decode_responses=True)
        try:
            while time.monotonic() < deadline:
                got = await redis_records(client, self.setup.redis_prefix, expected)
                if got == expected:
                    return
                self.supervise()
                await asyncio.sleep(1.0)
        finally:
            await client.aclose()

    def stop(self) -> None:
        for worker in (self.main, self.second):
            if worker is not None:
                worker.stop()


async def run_seed(
    seed: int, plan: Plan, broker: LocalBroker, redis_url: str, workdir: Path
) -> Outcome:
    """One chaos run on fresh topics, group and Redis prefix; returns what the checker saw."""
    started = time.monotonic()
    suffix = f"chaos{seed}-{int(time.time() * 1000) % 10**8}"
    setup = WorkerSetup(
        suffix=suffix,
        bootstrap=broker.bootstrap,
        redis_url=redis_url,
        redis_prefix=f"socialkpi-chaos:{suffix}:",
        data_dir=workdir / suffix,
        partitions=4,
        extra={"SESSION_TIMEOUT_S": "6", "RECOVERY_DELAY_S": "0.5", "LOG_LEVEL": "info"},
    )
    items = event_log(seed, accounts=plan.accounts, events=None, invalid_rate=0.01, days=plan.days)
    as_of = max_event_time(items)
    setup.data_dir.mkdir(parents=True, exist_ok=True)
    expected = by_account(replay_records(write_log(setup.data_dir / "log.jsonl", items), as_of))
    setup.as_of = format_ts(as_of)
    await retry_transient(lambda: create_topics(setup))
    bad = await produce_tracking(setup, items)
    chaos = Chaos(seed, plan, broker, setup)
    chaos.outcome.lines = len(items)
    try:
        await chaos.run()
        await chaos.settle(expected)
        client = aioredis.Redis.from_url(redis_url, decode_responses=True)
        try:
            chaos.outcome.verdict = await check(setup, client, expected, bad)
            keys = [k async for k in client.scan_iter(f"{setup.redis_prefix}*")]
            if keys:
                await client.unlink(*keys)
        finally:
            await client.aclose()
    finally:
        chaos.stop()
    chaos.outcome.seconds = time.monotonic() - started
    return chaos.outcome
