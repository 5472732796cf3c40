"""Throughput of the live worker on the real broker: produce N events first, then time the drain.

    .venv/bin/python -m tests.worker.bench_worker --events 60000 --accounts 20 --workers 1

Prints the produce time, the worker's start-up (until its first commit) and the drain rate
(events / seconds from the first to the last commit). With --check, the Redis records are
compared with `cli.replay` of the same log. With --profile, worker 0 runs under cProfile and
the top functions are printed after a graceful stop.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis.asyncio as aioredis

from kpis.timeutil import format_ts

from .harness import (
    WorkerProcess,
    WorkerSetup,
    create_topics,
    delete_topics,
    lag,
    produce,
    wait_records,
)
from .helpers import REPO, by_account, event_log, max_event_time, replay_records, write_log

del cProfile  # the profile runs in the subprocess (python -m cProfile)


async def main(args: argparse.Namespace) -> int:
    suffix = uuid.uuid4().hex[:10]
    tmp = Path(tempfile.mkdtemp(prefix="socialkpi-bench-"))
    items = event_log(seed=11, accounts=args.accounts, events=args.events, invalid_rate=0.002)
    as_of = max_event_time(items)
    setup = WorkerSetup(
        suffix=suffix,
        bootstrap=args.bootstrap,
        redis_url=args.redis,
        redis_prefix=f"socialkpi-bench:{suffix}:",
        data_dir=tmp,
        partitions=args.partitions,
        as_of=format_ts(as_of),
        evaluation_interval_s=args.eval_interval,
        extra={
            "STATE_JOURNAL": "true" if args.journal else "false",
            "BATCH_SIZE": str(args.batch),
            "PUBLISH_REDIS": "true",
            "BATCH_WITHIN_S": str(args.within),
            "PRODUCER_LINGER_S": str(args.linger),
        },
    )
    await create_topics(setup)
    produce_s = await produce(setup, items)
    total = len(items)
    print(f"produced {total} events in {produce_s:.1f}s ({total / produce_s:,.0f}/s)")
    workers: list[WorkerProcess] = []
    started = time.perf_counter()
    try:
        for index in range(args.workers):
            workers.append(_start(setup, f"worker-{index}", args.profile and index == 0))
        first = None
        cpu_first = 0.0
        remaining = total
        while remaining:
            await asyncio.sleep(0.25)
            remaining = await lag(setup)
            if first is None and remaining < total:
                first = time.perf_counter()
                cpu_first = sum(cpu_seconds(w.proc.pid) for w in workers)
                kafka_first = cpu_seconds(kafka_pid()) if kafka_pid() else 0.0
            if time.perf_counter() - started > args.timeout:
                raise SystemExit(f"not drained after {args.timeout}s, lag {remaining}")
        done = time.perf_counter()
        cpu = sum(cpu_seconds(w.proc.pid) for w in workers) - cpu_first
        kafka_cpu = cpu_seconds(kafka_pid()) - kafka_first if kafka_pid() else 0.0
        assert first is not None
        print(
            f"workers={args.workers} partitions={args.partitions} journal={args.journal} "
            f"batch={args.batch}/{args.within}s linger={args.linger}s: "
            f"start-up {first - started:.1f}s, drain {done - first:.1f}s "
            f"-> {total / (done - first):,.0f} events/s ({total / (done - started):,.0f}/s "
            "including start-up)"
        )
        print(
            f"  worker CPU during drain {cpu:.1f}s -> {total / cpu:,.0f} events per worker "
            f"CPU-second; broker CPU {kafka_cpu:.1f}s; load average {os.getloadavg()[0]:.1f}"
        )
        if args.check:
            path = write_log(tmp / "events.jsonl", items)
            expected = by_account(replay_records(path, as_of))
            client = aioredis.Redis.from_url(args.redis, decode_responses=True)
            try:
                await wait_records(client, setup.redis_prefix, expected, workers, 60)
                print(f"records equal replay ({sum(map(len, expected.values()))} records)")
            finally:
                keys = [k async for k in client.scan_iter(match=f"{setup.redis_prefix}*")]
                if keys:
                    await client.unlink(*keys)
                await client.aclose()
    finally:
        for worker in workers:
            worker.stop(timeout=60)
        if args.profile and workers:
            print_profile(pstats.Stats(str(tmp / "worker.prof")))
        await delete_topics(setup)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


# Where the worker's CPU goes, by the cumulative time of a few telling functions.
PROFILE_PARTS = {
    "total (event loop)": ("base_events.py", "run_forever"),
    "our batch: validate + engine + state diff": ("streams/app.py", "apply_batch"),
    "  parse_event (pydantic)": ("models/parse.py", "parse_event"),
    "  Engine.apply": ("kpis/engine.py", "apply"),
    "  store.flush (dirty -> encoded writes)": ("streams/store.py", "flush"),
    "state writes to Kafka (send_pending)": ("streams/app.py", "send_pending"),
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


def kafka_pid() -> int:
    """The local broker's pid (scripts/services.sh keeps it in .services/), or 0."""
    for path in REPO.glob(".services/**/*.pid"):
        if "kafka" in path.name:
            try:
                return int(path.read_text().strip())
            except ValueError:
                return 0
    return 0


def _start(setup: WorkerSetup, name: str, profile: bool) -> WorkerProcess:
    worker = WorkerProcess.__new__(WorkerProcess)
    if not profile:
        return WorkerProcess(setup, name)
    import subprocess

    worker.log_path = setup.data_dir / f"{name}.log"
    worker._log = open(worker.log_path, "ab")  # noqa: SIM115
    worker.proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(setup.data_dir / "worker.prof"),
            "-m",
            "streams",
        ],
        cwd=REPO,
        env=setup.env(),
        stdout=worker._log,
        stderr=subprocess.STDOUT,
    )
    return worker


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--within", type=float, default=0.5)
    parser.add_argument("--linger", type=float, default=0.02)
    parser.add_argument("--eval-interval", type=float, default=15.0)
    parser.add_argument("--no-journal", dest="journal", action="store_false")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--redis", default="redis://127.0.0.1:16379/0")
    sys.exit(asyncio.run(main(parser.parse_args())))
