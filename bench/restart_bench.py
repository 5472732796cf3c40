"""Restart time after SIGKILL: from the kill to the replacement worker committing again.

    .venv/bin/python bench/restart_bench.py [--runs 3] [--events 40000]

A backlog is produced once; per run, a worker drains part of it in a fresh consumer group,
is SIGKILLed, and a replacement starts at once. The figure is the time from the kill until
the group's committed offsets move again (the replacement rebuilt its state, was assigned
the partitions, processed and committed). Two modes side by side, same run, same backlog:
dynamic membership (the replacement waits for the session timeout to expel the dead member)
and static membership (`SOCIALKPI_GROUP_INSTANCE_ID`: the replacement takes its place).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.worker.harness import (  # noqa: E402
    WorkerProcess,
    WorkerSetup,
    create_topics,
    delete_topics,
    lag,
    produce,
)
from tests.worker.helpers import event_log  # noqa: E402


async def one_restart(base: WorkerSetup, static: bool, total: int, tmp: Path) -> float:
    group = f"restart-{uuid.uuid4().hex[:8]}"
    setup = WorkerSetup(**{**base.__dict__, "group": group, "data_dir": tmp / group})
    setup.extra = dict(base.extra)
    if static:
        setup.extra["GROUP_INSTANCE_ID"] = f"{group}-slot-0"
    first = WorkerProcess(setup, "first")
    try:
        while await lag(setup) > total * 0.6:  # mid-stream, some state written
            if not first.alive():
                raise SystemExit(first.tail())
            await asyncio.sleep(0.2)
        first.kill()
        killed_at = time.perf_counter()
        before = await lag(setup)
        second = WorkerProcess(setup, "second")
        try:
            while await lag(setup) >= before:
                if not second.alive():
                    raise SystemExit(second.tail())
                if time.perf_counter() - killed_at > 180:
                    raise SystemExit("no commit 180 s after the kill")
                await asyncio.sleep(0.1)
            return time.perf_counter() - killed_at
        finally:
            second.stop()
    finally:
        first.kill()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--session-timeout", type=float, default=10.0)
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--redis", default="redis://127.0.0.1:16379/0")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="restart-bench-"))
    suffix = uuid.uuid4().hex[:12]
    base = WorkerSetup(
        suffix=suffix,
        bootstrap=args.bootstrap,
        redis_url=args.redis,
        redis_prefix=f"socialkpi-bench:{suffix}:",
        data_dir=tmp,
        extra={
            "SESSION_TIMEOUT_S": str(args.session_timeout),
            "HEARTBEAT_INTERVAL_S": str(args.session_timeout / 4),
            "RECOVERY_DELAY_S": "0.5",
            "BATCH_SIZE": "200",
        },
    )
    await create_topics(base)
    try:
        items = event_log(seed=9, accounts=50, events=args.events)
        await produce(base, items)
        print(f"{len(items)} events; session timeout {args.session_timeout} s")
        results: dict[str, list[float]] = {"dynamic": [], "static": []}
        for run in range(args.runs):
            for mode in results:
                took = await one_restart(base, mode == "static", len(items), tmp)
                results[mode].append(took)
                print(f"run {run + 1} {mode:7}: processing again {took:.1f} s after SIGKILL")
        for mode, values in results.items():
            print(
                f"{mode:7}: median {statistics.median(values):.1f} s "
                f"(min {min(values):.1f}, max {max(values):.1f})"
            )
        ratio = statistics.median(results["static"]) / statistics.median(results["dynamic"])
        print(f"static/dynamic: {ratio:.2f}")
    finally:
        await delete_topics(base)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
