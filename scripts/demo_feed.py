"""Demo feed for `make demo`: generated events of a few accounts into the worker's topics.

The generator's days are placed so that the last one is today (UTC): events up to now are
sent at once (a history, at `--rate` events/s), later ones of today at their own time, so
the live KPIs keep moving while the demo runs. Ctrl-C stops it. Kafka connection and topic
names come from the worker's settings (SOCIALKPI_* environment).

    .venv/bin/python scripts/demo_feed.py [--accounts 4] [--days 14] [--rate 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiokafka import AIOKafkaProducer  # noqa: E402

from gen.synthetic import RAW_LINE, GeneratorConfig, event_line, generate_events  # noqa: E402
from kpis.timeutil import parse_ts  # noqa: E402
from streams.settings import WorkerSettings, topic_for_type  # noqa: E402


def demo_events(accounts: int, days: int, seed: int) -> list[tuple[int, str, str, bytes]]:
    """(occurred_at µs, topic short name, account, line), in arrival order."""
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start -= timedelta(days=days - 1)
    config = GeneratorConfig(invalid_rate=0.002)
    out = []
    for event in generate_events(
        seed=seed, accounts=accounts, days=days, start=start, config=config
    ):
        if RAW_LINE in event:  # an invalid line: shows up in the dead-letter topic
            out.append((0, "invitations", "rep-01", str(event[RAW_LINE]).encode()))
            continue
        line = event_line(event).encode()
        try:
            occurred = parse_ts(str(event["occurred_at"]))
        except (KeyError, ValueError):  # an invalid event: sent with the history
            occurred = 0
        topic = topic_for_type(event.get("type"))
        out.append((occurred, topic, str(event.get("account_id", "rep-01")), line))
    return out


async def feed(args: argparse.Namespace) -> None:
    settings = WorkerSettings()
    topics = settings.topics
    events = demo_events(args.accounts, args.days, args.seed)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, linger_ms=20, **settings.aiokafka_auth()
    )
    await producer.start()
    sent = live = 0
    started = time.monotonic()
    try:
        for occurred, short, account, line in events:
            now_us = time.time_ns() // 1000
            if occurred > now_us:  # today's rest: wait for its time
                if not live:
                    print(f"[demo] history sent ({sent} events); now live", flush=True)
                live += 1
                await producer.flush()
                await asyncio.sleep((occurred - now_us) / 1e6)
            await producer.send(topics[short], line, key=account.encode())
            sent += 1
            if not live and sent % args.rate == 0:
                await asyncio.sleep(max(0.0, started + sent / args.rate - time.monotonic()))
        await producer.flush()
        print(f"[demo] done: {sent} events", flush=True)
    finally:
        await producer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=4, help="rep-01, … and page-acme")
    parser.add_argument("--days", type=int, default=14, help="days of history, ending today")
    parser.add_argument("--rate", type=int, default=2000, help="history events per second")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(feed(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
