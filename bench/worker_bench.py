"""Throughput of the live worker on the real broker, against two baselines in the same run.

    .venv/bin/python bench/worker_bench.py [--events 60000] [--workers 1] [--check] [--profile]

Produces N generated events (duplicates, late, a few invalid) to fresh topics once, then
drains them three times, each with its own consumer group, timing from the first to the last
commit (lag read from the broker):

1. aiokafka: a plain consumer, `getmany` + `json.loads` (the floor for any Python consumer);
2. faust noop: `bench/faust_noop.py`, the worker's agents and batching, counting only
   (what Faust costs per event);
3. worker: `python -m streams` (validation, engine, changelog state, Redis, /metrics).

The ratios worker/noop and worker/aiokafka are the figures to compare across runs (absolute
rates move with the machine's load). `--check` compares the worker's Redis records with
`cli.replay`; `--profile` runs the worker under cProfile. `bench/worker_latency.py` measures
the event-to-Redis delay.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402
from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402

from kpis.timeutil import format_ts  # noqa: E402
from tests.worker.harness import (  # noqa: E402
    WorkerProcess,
    WorkerSetup,
    create_topics,
    delete_topics,
    lag,
    produce,
    produce_batches,
    wait_records,
)
from tests.worker.helpers import (  # noqa: E402
    by_account,
    event_log,
    max_event_time,
    replay_records,
    write_log,
)

OUT = ROOT / "bench" / "out"


@dataclass
class Drain:
    name: str
    events: int
    startup_s: float
    drain_s: float
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.events / self.drain_s

    def line(self) -> str:
        return (
            f"{self.name:12s} start-up {self.startup_s:5.1f}s  drain {self.drain_s:6.1f}s  "
            f"{self.rate:9,.0f} events/s  ({self.events / max(self.cpu_s, 1e-9):,.0f} per "
            "consumer CPU-second)"
        )


def _loads(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:  # the log has a few invalid lines
        return None


async def drain_aiokafka(setup: WorkerSetup, total: int, messages_total: int) -> Drain:
    """Baseline 1: assign every input partition, getmany + json.loads of every event (each
    line of a batch message) until all are read."""
    tps = [TopicPartition(t, p) for t in setup.input_topics for p in range(setup.partitions)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=setup.bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=1 << 20,
    )
    started = time.perf_counter()
    cpu0 = time.process_time()
    await consumer.start()
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    seen = 0
    first = None
    try:
        while seen < messages_total:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for messages in batches.values():
                for message in messages:
                    if first is None:
                        first = time.perf_counter()
                    for line in message.value.split(b"\n"):
                        _loads(line)
                seen += len(messages)
    finally:
        await consumer.stop()
    done = time.perf_counter()
    assert first is not None
    return Drain("aiokafka", total, first - started, done - first, time.process_time() - cpu0)


async def drain_processes(
    name: str,
    setup: WorkerSetup,
    total: int,
    commands: list[list[str]],
    timeout: float,
    messages_total: int | None = None,
) -> tuple[Drain, list[WorkerProcess]]:
    """Start the processes (one consumer group) and time the drain by the committed lag
    (in messages: `messages_total` of them carry the `total` events)."""
    procs = [WorkerProcess(setup, f"{name}-{i}", command) for i, command in enumerate(commands)]
    started = time.perf_counter()
    first = None
    cpu_first = 0.0
    messages_total = total if messages_total is None else messages_total
    remaining = messages_total
    while remaining:
        await asyncio.sleep(0.25)
        for proc in procs:
            if not proc.alive():
                raise SystemExit(f"{name} exited:\n{proc.tail()}")
        remaining = await lag(setup)
        if first is None and remaining < messages_total:
            first = time.perf_counter()
            cpu_first = sum(cpu_seconds(p.proc.pid) for p in procs)
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"{name}: not drained after {timeout}s, lag {remaining}")
    done = time.perf_counter()
    cpu = sum(cpu_seconds(p.proc.pid) for p in procs) - cpu_first
    assert first is not None
    return Drain(name, total, first - started, done - first, cpu), procs


def phase_setup(base: WorkerSetup, phase: str, **extra: str) -> WorkerSetup:
    """Same topics, a consumer group (app id) of its own."""
    return WorkerSetup(
        **{**base.__dict__, "extra": {**base.extra, **extra}, "group": f"{base.app_id}-{phase}"}
    )


async def main(args: argparse.Namespace) -> int:
    suffix = uuid.uuid4().hex[:10]
    tmp = Path(tempfile.mkdtemp(prefix="socialkpi-bench-"))
    items = event_log(seed=11, accounts=args.accounts, events=args.events, invalid_rate=0.002)
    as_of = max_event_time(items)
    base = WorkerSetup(
        suffix=suffix,
        bootstrap=args.bootstrap,
        redis_url=args.redis,
        redis_prefix=f"socialkpi-bench:{suffix}:",
        data_dir=tmp,
        partitions=args.partitions,
        as_of=format_ts(as_of),
        evaluation_interval_s=args.eval_interval,
        extra={
            "BATCH_SIZE": str(args.batch),
            "BATCH_WITHIN_S": str(args.within),
            "EVENT_LOOP": args.loop,
        },
    )
    await create_topics(base)
    total = len(items)
    started = time.perf_counter()
    if args.batch_messages > 1:
        messages = await produce_batches(base, items, args.batch_messages)
    else:
        await produce(base, items)
        messages = total
    produce_s = time.perf_counter() - started
    print(
        f"produced {total} events in {messages} messages in {produce_s:.1f}s "
        f"({total / produce_s:,.0f}/s)"
    )
    results: list[Drain] = []
    procs: list[WorkerProcess] = []
    try:
        results.append(await drain_aiokafka(base, total, messages))
        print(results[-1].line())
        noop = phase_setup(base, "noop")
        drain, procs = await drain_processes(
            "faust-noop",
            noop,
            total,
            [[sys.executable, "bench/faust_noop.py"]],
            args.timeout,
            messages,
        )
        stop_all(procs)
        results.append(drain)
        print(results[-1].line())
        worker = phase_setup(base, "worker")
        command = [sys.executable, *(_profile_args(tmp) if args.profile else []), "-m", "streams"]
        drain, procs = await drain_processes(
            "worker", worker, total, [command] * args.workers, args.timeout, messages
        )
        results.append(drain)
        print(results[-1].line())
        if args.check:
            await check_records(worker, items, as_of, procs, tmp)
        stop_all(procs)
        procs = [WorkerProcess(worker, "worker-restarted")]
        print(await recovery(procs[0], args.timeout))
        stop_all(procs)
    finally:
        stop_all(procs)
        if args.profile:
            print_profile(pstats.Stats(str(tmp / "worker.prof")))
        await delete_topics(base)
        shutil.rmtree(tmp, ignore_errors=True)
    rates = {r.name: r.rate for r in results}
    print(
        f"ratios: worker/faust-noop {rates['worker'] / rates['faust-noop']:.2f}, "
        f"worker/aiokafka {rates['worker'] / rates['aiokafka']:.3f} "
        f"(workers={args.workers}, partitions={args.partitions}, batch={args.batch}, "
        f"loop={args.loop}, "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    OUT.mkdir(exist_ok=True)
    (OUT / "worker.json").write_text(
        json.dumps({"events": total, "args": vars(args), "rates": rates}, indent=2) + "\n"
    )
    return 0


async def recovery(proc: WorkerProcess, timeout: float) -> str:
    """Restart on the drained topics: how long until the state is rebuilt from the changelog."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        rebuilt = [
            line for line in proc.log_path.read_text().splitlines() if "state rebuilt" in line
        ]
        if rebuilt:
            took = time.perf_counter() - started
            detail = rebuilt[-1].split("state rebuilt", 1)[1].strip()
            return f"restart: state rebuilt {took:.1f}s after start ({detail})"
        if not proc.alive():
            raise SystemExit(f"restarted worker exited:\n{proc.tail()}")
        await asyncio.sleep(0.2)
    raise SystemExit("restarted worker did not rebuild its state in time")


def stop_all(procs: list[WorkerProcess]) -> None:
    for proc in procs:
        if proc.alive():
            proc.stop(timeout=60)


def _profile_args(tmp: Path) -> list[str]:
    return ["-m", "cProfile", "-o", str(tmp / "worker.prof")]


async def check_records(
    setup: WorkerSetup, items: list, as_of: int, procs: list[WorkerProcess], tmp: Path
) -> None:
    path = write_log(tmp / "events.jsonl", items)
    expected = by_account(replay_records(path, as_of))
    client = aioredis.Redis.from_url(setup.redis_url, decode_responses=True)
    try:
        await wait_records(client, setup.redis_prefix, expected, procs, 120)
        print(f"records equal replay ({sum(map(len, expected.values()))} records)")
    finally:
        keys = [k async for k in client.scan_iter(match=f"{setup.redis_prefix}*")]
        if keys:
            await client.unlink(*keys)
        await client.aclose()


# Where the worker's CPU goes, by the cumulative time of a few telling functions.
PROFILE_PARTS = {
    "total (event loop)": ("base_events.py", "run_forever"),
    "our batch: validate + engine + state diff": ("streams/app.py", "apply_batch"),
    "  parse_event (pydantic)": ("models/parse.py", "parse_event"),
    "  Engine.apply": ("kpis/engine.py", "apply"),
    "  store.flush (dirty -> encoded writes)": ("streams/store.py", "flush"),
    "state writes to Kafka (send_pending)": ("streams/state_table.py", "send_pending"),
    "evaluation + Redis publish": ("streams/app.py", "evaluate_and_publish"),
    "Faust fetch -> streams (_drain_messages)": ("faust/transport/consumer.py", "_drain_messages"),
    "Faust stream iteration (_c_aiter)": ("faust/streams.py", "_c_aiter"),
    "Faust take_events buffering": ("faust/streams.py", "add_to_buffer"),
    "aiokafka fetcher": ("aiokafka/consumer/fetcher.py", "_fetch_requests_routine"),
}


def print_profile(stats: pstats.Stats) -> None:
    table = stats.stats  # type: ignore[attr-defined]
    total = 0.0
    for label, (path, name) in PROFILE_PARTS.items():
        cumulative = sum(
            row[3]
            for (file, _line, func), row in table.items()
            if file.endswith(path) and func == name
        )
        if not total:
            total = cumulative or 1.0
        print(f"  {label:45s} {cumulative:7.1f}s CPU  {100 * cumulative / total:5.1f}%")
    stats.sort_stats("tottime").print_stats(15)


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--batch-messages",
        type=int,
        default=0,
        help="produce batch messages (contract 1.1) of this many events (0: one per message)",
    )
    parser.add_argument("--within", type=float, default=0.5)
    parser.add_argument("--eval-interval", type=float, default=15.0)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--bootstrap", default=os.environ.get("SOCIALKPI_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    )
    parser.add_argument(
        "--redis", default=os.environ.get("SOCIALKPI_REDIS_URL", "redis://127.0.0.1:16379/0")
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
