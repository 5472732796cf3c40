"""Run `python -m streams` as subprocesses against the real broker and Redis, feed it, watch it.

Shared by the integration tests and `bench/worker_bench.py`. Every name (topics, app id, Redis
prefix, data dir) derives from one unique suffix, so runs never see each other's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from models.batch import encode_message, pack
from sinks.redis.documents import record_from_json, restamp, view_as_of
from sinks.redis.keys import KeySchema
from streams.settings import DEFAULT_TOPICS, WorkerSettings
from streams.topics import admin_client, changelog_topic, ensure_topics, retry_transient

from .helpers import REPO, LogItem

# Test-only keys (32 bytes, hex): the worker publishes member lists only with a pseudonym key.
PSEUDONYM_KEY = "11" * 32
REVEAL_KEY = "22" * 32


@dataclass
class WorkerSetup:
    """Settings of one test run, as env variables for the worker subprocesses."""

    suffix: str
    bootstrap: str
    redis_url: str
    redis_prefix: str
    data_dir: Path
    partitions: int = 4
    as_of: str | None = None
    evaluation_interval_s: float = 1.0
    extra: dict[str, str] = field(default_factory=dict)
    group: str | None = None  # app id (consumer group); default from the suffix

    @property
    def app_id(self) -> str:
        return self.group or f"socialkpi-wt-{self.suffix}"

    def topic(self, short: str) -> str:
        return f"wt-{self.suffix}.{short}"

    @property
    def dead_letter_topic(self) -> str:
        return f"wt-{self.suffix}.dead-letters"

    def env(self) -> dict[str, str]:
        values = {
            "ALERT_TOPIC": f"wt-{self.suffix}.alerts",
            "KAFKA_BOOTSTRAP": self.bootstrap,
            "APP_ID": self.app_id,
            "DATA_DIR": str(self.data_dir),
            "PARTITIONS": str(self.partitions),
            "DEAD_LETTER_TOPIC": self.dead_letter_topic,
            "REDIS_URL": self.redis_url,
            "REDIS_PREFIX": self.redis_prefix,
            "EVALUATION_INTERVAL_S": str(self.evaluation_interval_s),
            "SESSION_TIMEOUT_S": "6",
            "HEARTBEAT_INTERVAL_S": "1",
            "RECOVERY_DELAY_S": "0.2",
            "COMMIT_INTERVAL_S": "0.5",
            "LOG_LEVEL": "info",
            "LAG_INTERVAL_S": "1",
            "VIEW_REFRESH_S": "5",  # keys deleted one by one are republished within 5 s
            "METRICS_PORT": "0",  # any free port; the worker reports it in its status
            "PSEUDONYM_KEY": PSEUDONYM_KEY,
            "REVEAL_KEY": REVEAL_KEY,
            **{f"TOPIC_{short.upper()}": self.topic(short) for short in DEFAULT_TOPICS},
            **self.extra,
        }
        if self.as_of:
            values["AS_OF"] = self.as_of
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALKPI_")}
        env.update({f"SOCIALKPI_{k}": v for k, v in values.items()})
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def settings(self) -> WorkerSettings:
        env = self.env()
        values = {
            k.removeprefix("SOCIALKPI_").lower(): v
            for k, v in env.items()
            if k.startswith("SOCIALKPI_")
        }
        return WorkerSettings(**values)  # type: ignore[arg-type]

    def client_auth(self) -> dict[str, object]:
        """aiokafka keyword arguments of the test's own clients (SASL/SSL as the worker's)."""
        return self.settings().aiokafka_auth()

    @property
    def input_topics(self) -> list[str]:
        return [self.topic(short) for short in DEFAULT_TOPICS]


class WorkerProcess:
    """One `python -m streams` subprocess; output goes to a log file."""

    def __init__(self, setup: WorkerSetup, name: str, command: list[str] | None = None) -> None:
        self.log_path = setup.data_dir / f"{name}.log"
        setup.data_dir.mkdir(parents=True, exist_ok=True)
        self._log: IO[bytes] = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            command or [sys.executable, "-m", "streams"],
            cwd=REPO,
            env=setup.env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: no flush, no commit, no goodbye to the group."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._log.close()

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()

    def tail(self, lines: int = 40) -> str:
        """The log's last lines, without faust's repeated timer warnings (they hide the cause)."""
        text = self.log_path.read_text(errors="replace").splitlines()
        text = [line for line in text if "is overlapping" not in line]
        return f"--- {self.log_path.name}\n" + "\n".join(text[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None


@contextlib.asynccontextmanager
async def worker_topics(
    bootstrap: str, redis_url: str, redis_prefix: str, name: str, data_dir: Path, **options: Any
) -> AsyncIterator[WorkerSetup]:
    """A test's setup with its topics created first (Faust ignores a topic missing at start)
    and deleted afterwards."""
    run = WorkerSetup(
        suffix=name[:16],
        bootstrap=bootstrap,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        data_dir=data_dir,
        **options,
    )
    await create_topics(run)
    try:
        yield run
    finally:
        await delete_topics(run)


async def create_topics(setup: WorkerSetup) -> None:
    await ensure_topics(setup.settings())


async def delete_topics(setup: WorkerSetup) -> None:
    admin = admin_client(setup.settings())
    with contextlib.suppress(KafkaError):
        await admin.start()
        names = set(await admin.list_topics())
        mine = [
            t
            for t in (
                *setup.input_topics,
                setup.dead_letter_topic,
                setup.settings().alert_topic,
                changelog_topic(setup.settings()),
            )
            if t in names
        ]
        if mine:
            await admin.delete_topics(mine)
    await admin.close()


async def produce(setup: WorkerSetup, items: Iterable[LogItem]) -> float:
    """Send every item to its topic (key = account); returns seconds taken."""
    producer = AIOKafkaProducer(
        **setup.client_auth(),
        bootstrap_servers=setup.bootstrap,
        linger_ms=5,
        max_batch_size=1 << 20,
        max_request_size=1 << 22,
        acks=1,
    )
    await retry_transient(producer.start)
    started = time.perf_counter()
    try:
        for item in items:
            await producer.send(setup.topic(item.topic), item.line, key=item.key)
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def produce_batches(
    setup: WorkerSetup, items: Iterable[LogItem], max_events: int = 500
) -> int:
    """Send the items as batch messages (contract 1.1): each account's lines of one topic,
    in order, `max_events` per message; returns the number of messages."""
    groups: dict[tuple[str, bytes | None], list[bytes]] = {}
    for item in items:
        groups.setdefault((item.topic, item.key), []).append(item.line)
    producer = AIOKafkaProducer(
        **setup.client_auth(),
        bootstrap_servers=setup.bootstrap,
        linger_ms=5,
        max_batch_size=1 << 20,
        max_request_size=1 << 22,
        acks=1,
    )
    await retry_transient(producer.start)
    messages = 0
    try:
        for (topic, key), lines in groups.items():
            for group in pack(lines, max_events, 900 * 1024):
                value, headers = encode_message(group)
                await producer.send(setup.topic(topic), value, key=key, headers=headers)
                messages += 1
        await producer.flush()
    finally:
        await producer.stop()
    return messages


async def partition_lags(setup: WorkerSetup) -> dict[TopicPartition, int]:
    """End offset minus the group's committed offset, per input partition."""
    tps = [TopicPartition(t, p) for t in setup.input_topics for p in range(setup.partitions)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=setup.bootstrap, enable_auto_commit=False, **setup.client_auth()
    )
    await retry_transient(consumer.start)
    try:
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    admin = admin_client(setup.settings())
    await retry_transient(admin.start)
    try:
        committed = await admin.list_consumer_group_offsets(setup.app_id)
    finally:
        await admin.close()
    out = {}
    for tp, end in ends.items():
        meta = committed.get(tp)
        done = meta.offset if meta is not None and meta.offset >= 0 else 0
        out[tp] = end - done
    return out


async def lag(setup: WorkerSetup) -> int:
    """Messages of the input topics not yet committed by the worker group."""
    return sum(max(0, behind) for behind in (await partition_lags(setup)).values())


async def wait_drained(
    setup: WorkerSetup, workers: list[WorkerProcess], timeout: float, poll: float = 0.5
) -> float:
    """Wait until the group committed every input message; returns seconds waited."""
    started = time.perf_counter()
    deadline = started + timeout
    remaining = -1
    while time.perf_counter() < deadline:
        for worker in workers:
            if not worker.alive():
                raise AssertionError(f"worker exited:\n{worker.tail()}")
        try:
            remaining = await lag(setup)
        except KafkaError:
            remaining = -1
        if remaining == 0:
            return time.perf_counter() - started
        await asyncio.sleep(poll)
    tails = "\n---\n".join(w.tail() for w in workers)
    raise AssertionError(f"not drained after {timeout}s (lag {remaining}):\n{tails}")


async def wait_lag_below(
    setup: WorkerSetup, workers: list[WorkerProcess], below: float, timeout: float = 90.0
) -> None:
    """Wait until the group's lag drops below `below` (the workers are mid-stream)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for worker in workers:
            if not worker.alive():
                raise AssertionError(f"worker exited:\n{worker.tail()}")
        with contextlib.suppress(KafkaError):
            if await lag(setup) < below:
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"lag did not drop below {below} in {timeout}s")


async def redis_records(
    client: aioredis.Redis, prefix: str, accounts: Iterable[str]
) -> dict[str, dict[str, str]]:
    """Each account's `kpis` hash, every record with the view's `as_of` (as `socialkpi show`
    reads it: the worker rewrites a record only when its value changes)."""
    out: dict[str, dict[str, str]] = {}
    keys = KeySchema(prefix)
    for account in accounts:
        got = await client.hgetall(keys.kpis(account))
        if not got:
            continue
        meta_text = await client.get(keys.meta(account))
        meta = json.loads(meta_text) if meta_text else {}
        worker_text = await client.get(keys.worker(meta["worker_id"])) if meta else None
        as_of = view_as_of(meta, json.loads(worker_text) if worker_text else None)
        out[account] = {k: restamp(record_from_json(v), as_of).to_json() for k, v in got.items()}
    return out


def diff(expected: dict[str, dict[str, str]], got: dict[str, dict[str, str]]) -> str:
    lines: list[str] = []
    for account in sorted(set(expected) | set(got)):
        want, have = expected.get(account, {}), got.get(account, {})
        missing = sorted(set(want) - set(have))
        extra = sorted(set(have) - set(want))
        changed = sorted(k for k in set(want) & set(have) if want[k] != have[k])
        if missing or extra or changed:
            lines.append(
                f"{account}: {len(missing)} missing {missing[:3]}, {len(extra)} extra "
                f"{extra[:3]}, {len(changed)} changed "
                f"{[(have[k], want[k]) for k in changed[:2]]}"
            )
    return "\n".join(lines) or "no difference"


async def wait_records(
    client: aioredis.Redis,
    prefix: str,
    expected: dict[str, dict[str, str]],
    workers: list[WorkerProcess],
    timeout: float,
) -> dict[str, dict[str, str]]:
    """Poll Redis until it holds exactly the expected records (or fail with a diff)."""
    deadline = time.perf_counter() + timeout
    got: dict[str, dict[str, str]] = {}
    while time.perf_counter() < deadline:
        got = await redis_records(client, prefix, expected)
        if got == expected:
            return got
        for worker in workers:
            if not worker.alive():
                raise AssertionError(f"worker exited:\n{worker.tail()}")
        await asyncio.sleep(0.5)
    tails = "\n---\n".join(w.tail(25) for w in workers)
    raise AssertionError(f"Redis records differ from replay:\n{diff(expected, got)}\n{tails}")


async def worker_status(client: aioredis.Redis, prefix: str) -> list[dict[str, Any]]:
    out = []
    async for key in client.scan_iter(match=f"{prefix}worker:*"):
        raw = await client.get(key)
        if raw:
            out.append(json.loads(raw))
    return out


async def read_topic(bootstrap: str, topic: str, expected: int, timeout: float) -> list[Any]:
    """Up to `expected` messages of a topic from the beginning (or what came by the deadline)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await retry_transient(consumer.start)
    out: list[Any] = []
    deadline = time.perf_counter() + timeout
    try:
        while len(out) < expected and time.perf_counter() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                out.extend(messages)
    finally:
        await consumer.stop()
    return out
