"""Event-to-Redis delay of the live worker at a stated input rate.

    .venv/bin/python bench/worker_latency.py [--rate 1000] [--seconds 30] [--interval 1]

Starts one worker (wall-clock evaluation every `--interval` seconds) on fresh topics, then
produces generated events at `--rate` events/s and, every 0.25 s, a probe `invitation.sent`
of a probe account stamped with the current time. A poller reads the probe account's
`invitations_sent|rolling_24h` in Redis every 20 ms: the delay of probe k is the time from
its send to the first read showing at least k. Prints p50, p90, p99 and max. The delay is
about half the evaluation interval plus one evaluation and one batch window: the interval is
the knob (SOCIALKPI_EVALUATION_INTERVAL_S).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402
from aiokafka import AIOKafkaProducer  # noqa: E402

from kpis.timeutil import format_ts  # noqa: E402
from sinks.redis.keys import KeySchema  # noqa: E402
from tests.worker.harness import (  # noqa: E402
    WorkerProcess,
    WorkerSetup,
    create_topics,
    delete_topics,
    worker_status,
)
from tests.worker.helpers import event_log  # noqa: E402

PROBE_ACCOUNT = "probe-latency"
PROBE_EVERY_S = 0.25
FIELD = "invitations_sent|rolling_24h|{}"


def probe_event(k: int) -> bytes:
    return json.dumps(
        {
            "event_id": f"probe-{k}",
            "type": "invitation.sent",
            "occurred_at": format_ts(time.time_ns() // 1000),
            "account_id": PROBE_ACCOUNT,
            "invitation_id": f"probe-inv-{k}",
            "invitee_id": f"probe-member-{k}",
            "direction": "outbound",
        }
    ).encode()


async def feed(setup: WorkerSetup, rate: float, seconds: float, sent: dict[int, float]) -> int:
    """Background events at `rate` plus a probe every PROBE_EVERY_S; returns events sent."""
    items = event_log(seed=21, accounts=20, events=int(rate * seconds) + 1)
    producer = AIOKafkaProducer(bootstrap_servers=setup.bootstrap, linger_ms=5, acks=1)
    await producer.start()
    started = time.perf_counter()
    count = probes = 0
    try:
        while (elapsed := time.perf_counter() - started) < seconds:
            due = min(len(items), int(elapsed * rate))
            while count < due:
                item = items[count]
                await producer.send(setup.topic(item.topic), item.line, key=item.key)
                count += 1
            if elapsed >= probes * PROBE_EVERY_S:
                probes += 1
                await producer.send(
                    setup.topic("invitations"), probe_event(probes), key=PROBE_ACCOUNT.encode()
                )
                sent[probes] = time.perf_counter()
            await asyncio.sleep(0.005)
        await producer.flush()
    finally:
        await producer.stop()
    return count + probes


async def poll(
    client: aioredis.Redis, key: str, sent: dict[int, float], stop: asyncio.Event
) -> dict[int, float]:
    seen: dict[int, float] = {}
    while not stop.is_set():
        raw = await client.hget(key, FIELD)
        now = time.perf_counter()
        if raw:
            value = int(json.loads(raw)["value"])
            for k in range(len(seen) + 1, value + 1):
                if k in sent:
                    seen[k] = now - sent[k]
        await asyncio.sleep(0.02)
    return seen


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def main(args: argparse.Namespace) -> int:
    suffix = uuid.uuid4().hex[:10]
    tmp = Path(tempfile.mkdtemp(prefix="socialkpi-latency-"))
    setup = WorkerSetup(
        suffix=suffix,
        bootstrap=args.bootstrap,
        redis_url=args.redis,
        redis_prefix=f"socialkpi-latency:{suffix}:",
        data_dir=tmp,
        partitions=4,
        evaluation_interval_s=args.interval,
    )
    await create_topics(setup)
    client = aioredis.Redis.from_url(args.redis, decode_responses=True)
    worker = WorkerProcess(setup, "worker")
    try:
        while not await worker_status(client, setup.redis_prefix):  # first evaluation done
            if not worker.alive():
                raise SystemExit(worker.tail())
            await asyncio.sleep(0.2)
        sent: dict[int, float] = {}
        stop = asyncio.Event()
        poller = asyncio.create_task(
            poll(client, KeySchema(setup.redis_prefix).kpis(PROBE_ACCOUNT), sent, stop)
        )
        total = await feed(setup, args.rate, args.seconds, sent)
        await asyncio.sleep(args.interval * 3 + 2)
        stop.set()
        seen = await poller
    finally:
        worker.stop(timeout=60)
        keys = [k async for k in client.scan_iter(match=f"{setup.redis_prefix}*")]
        if keys:
            await client.unlink(*keys)
        await client.aclose()
        await delete_topics(setup)
        shutil.rmtree(tmp, ignore_errors=True)
    delays = sorted(seen.values())
    missing = len(sent) - len(seen)
    print(
        f"input {total} events in {args.seconds:.0f}s ({args.rate:,.0f}/s + probes), evaluation "
        f"every {args.interval}s, {len(delays)} probes ({missing} not seen)"
    )
    print(
        "event-to-Redis delay: "
        + "  ".join(f"p{q} {percentile(delays, q):.3f}s" for q in (50, 90, 99))
        + f"  max {delays[-1]:.3f}s"
    )
    return 1 if missing else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=1000.0, help="background events/s")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=1.0, help="evaluation interval (s)")
    parser.add_argument(
        "--bootstrap", default=os.environ.get("SOCIALKPI_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    )
    parser.add_argument(
        "--redis", default=os.environ.get("SOCIALKPI_REDIS_URL", "redis://127.0.0.1:16379/0")
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
