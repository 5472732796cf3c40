"""`socialkpi generate`: the project's synthetic stream (`gen.synthetic`) to a file or to
Kafka, optionally paced at a rate, for demos and benchmarks.

The stream is gen's: several accounts, posts with a 48-hour decay observed as events and
as snapshots, invitations accepted at a configurable rate, replies, ads with daily
reports restated later, re-sent duplicates and late deliveries, in arrival order. Every
item is validated like any import (the generator's invalid lines are not offered here).
To Kafka, events go out in batch messages (contract 1.1; `--batch-size`, `--batch-bytes`).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gen.synthetic import DEFAULT_START, GeneratorConfig, generate_events, persona_overrides
from importers.events import Encoded, encode
from importers.writer import EventWriter

DEFAULT_DAYS = 14
# Events per write when not paced: one write is packed into batch messages per account and
# topic (`importers.writer`), so large writes make full batches even with many accounts.
UNPACED_CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class GenerateOptions:
    accounts: int = 3
    seed: int = 0
    days: int | None = None  # default: DEFAULT_DAYS, or sized from `events`
    events: int | None = None  # stop after this many events
    start: str = DEFAULT_START.date().isoformat()  # first UTC day, or "today" (last day)
    acceptance: float | None = None  # invitation acceptance probability of every account
    duplicate_rate: float = 0.01
    late_rate: float = 0.02
    snapshot_share: float = 0.35  # posts observed by cumulative snapshots

    def config(self) -> GeneratorConfig:
        personas = {}
        if self.acceptance is not None:
            personas = persona_overrides(self.accounts, acceptance=self.acceptance)
        return GeneratorConfig(
            duplicate_rate=self.duplicate_rate,
            late_rate=self.late_rate,
            snapshot_post_share=self.snapshot_share,
            personas=personas,
        )

    def span(self) -> tuple[int | None, datetime]:
        """(days, first day): `today` puts the last generated day on the current UTC day."""
        days = self.days if self.days is not None or self.events is not None else DEFAULT_DAYS
        if self.start != "today":
            return days, datetime.fromisoformat(self.start).replace(tzinfo=UTC)
        days = days or DEFAULT_DAYS
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return days, today - timedelta(days=days - 1)


def synthetic_events(options: GenerateOptions) -> Iterator[Encoded]:
    days, start = options.span()
    for event in generate_events(
        options.seed, options.accounts, days, start, options.events, options.config()
    ):
        yield encode(event)


async def produce(
    writer: EventWriter,
    events: Iterator[Encoded],
    rate: float | None = None,
    duration: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> int:
    """Write `events` at about `rate` events/s (None: as fast as the writer takes them, in
    chunks of `UNPACED_CHUNK`), for at most `duration` seconds; returns the number written."""
    chunk = max(1, int(rate // 20)) if rate else UNPACED_CHUNK  # ~20 writes a second paced
    sent = 0
    await writer.start()
    started = clock()
    try:
        while duration is None or clock() - started < duration:
            batch = list(itertools.islice(events, chunk))
            if not batch:
                break
            await writer.write(batch)
            sent += len(batch)
            if rate:
                await sleep(max(0.0, started + sent / rate - clock()))
    finally:
        await writer.close()
    return sent
