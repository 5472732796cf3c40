"""Baseline for the worker benchmark: a Faust app with the worker's agents that only count.

Same topics, batching (`take_events`) and commit settings as the worker, but no parsing, no
engine, no state: what Faust itself costs per event on this machine. Settings come from the
same SOCIALKPI_* environment as the worker (app id gets a `-noop` suffix).

    .venv/bin/python bench/faust_noop.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import faust  # noqa: E402

from streams.app import new_event_loop  # noqa: E402
from streams.settings import WorkerSettings  # noqa: E402


def main() -> None:
    settings = WorkerSettings()
    app = faust.App(
        settings.app_id,  # the bench gives each phase its own app id
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers],
        autodiscover=False,
        web_enabled=False,
        datadir=settings.data_dir,
        topic_partitions=settings.partitions,
        broker_commit_interval=settings.commit_interval_s,
        consumer_auto_offset_reset="earliest",
    )
    counted = [0]
    for short, name in settings.topics.items():
        topic = app.topic(name, key_type=bytes, value_type=bytes, value_serializer="raw")

        async def count(stream: Any) -> None:
            async for events in stream.take_events(
                settings.batch_size, within=settings.batch_within_s
            ):
                counted[0] += len(events)

        count.__name__ = count.__qualname__ = f"count_{short}"
        app.agent(topic, name=f"noop.{short}")(count)
    loop = new_event_loop(settings.event_loop)  # the worker's loop, for a fair comparison
    asyncio.set_event_loop(loop)
    faust.Worker(app, loop=loop, loglevel="warning").execute_from_commandline()


if __name__ == "__main__":
    main()
