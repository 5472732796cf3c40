"""Where imported events go: the worker's Kafka topics, or a JSON-lines file for replay.

Destination rule (`choose_destination`): `--output FILE` writes JSON lines; otherwise
Kafka, when `--kafka` is given or `SOCIALKPI_KAFKA_BOOTSTRAP` is set; otherwise an error
(an importer never guesses a broker). Kafka uses the worker's settings (`WorkerSettings`:
bootstrap, SASL/TLS, topic names), key = `account_id`, `acks=all` with idempotence, and
`write` returns only once every event of the batch is acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import BinaryIO, Literal

from aiokafka import AIOKafkaProducer

from importers.events import Encoded, ImportSummary
from streams.settings import WorkerSettings, topic_for_type


class DestinationError(ValueError):
    """No destination, or two."""


class EventWriter:
    """Base of the two writers; `write` returns once the events are durable."""

    description = ""

    async def start(self) -> None:
        return None

    async def write(self, events: Sequence[Encoded]) -> None:
        raise NotImplementedError

    async def dead_letter(self, key: bytes | None, value: bytes) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        return None


class JsonlWriter(EventWriter):
    """JSON lines that `socialkpi replay` reads; '-' is stdout. Dead letters (ingest-http)
    go to `<FILE>.dead-letters.jsonl`, one document per line."""

    def __init__(self, path: str, append: bool = False, fsync: bool = False) -> None:
        self.path = path
        self.mode: Literal["ab", "wb"] = "ab" if append else "wb"
        self.fsync = fsync
        self.description = "stdout" if path == "-" else path
        self._out: BinaryIO | None = None
        self._dead: BinaryIO | None = None

    async def start(self) -> None:
        if self.path == "-":
            self._out = sys.stdout.buffer
        else:
            self._out = open(self.path, self.mode)  # noqa: SIM115 - closed in close()

    async def write(self, events: Sequence[Encoded]) -> None:
        assert self._out is not None, "start() first"
        self._out.write(b"".join(e.line + b"\n" for e in events))
        self._sync(self._out)

    async def dead_letter(self, key: bytes | None, value: bytes) -> None:
        if self._dead is None:
            base = "dead-letters" if self.path == "-" else self.path
            self._dead = open(f"{base}.dead-letters.jsonl", "ab")  # noqa: SIM115
        self._dead.write(value + b"\n")
        self._sync(self._dead)

    def _sync(self, handle: BinaryIO) -> None:
        handle.flush()
        if self.fsync and handle is not sys.stdout.buffer:
            os.fsync(handle.fileno())

    async def close(self) -> None:
        for handle in (self._out, self._dead):
            if handle is not None and handle is not sys.stdout.buffer:
                handle.close()
            elif handle is not None:
                handle.flush()


class KafkaWriter(EventWriter):
    """Produces to the worker's input topics (topic per event family, key = account_id)."""

    def __init__(self, settings: WorkerSettings, linger_ms: int = 5) -> None:
        self.settings = settings
        self.linger_ms = linger_ms
        self.description = f"Kafka {settings.kafka_bootstrap}"
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        if self.settings.create_topics:
            from streams.topics import ensure_topics

            await ensure_topics(self.settings)  # same partitions as the worker expects
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.bootstrap_servers,
            acks="all",
            enable_idempotence=True,
            linger_ms=self.linger_ms,
            request_timeout_ms=30_000,
            **self.settings.aiokafka_auth(),
        )
        await self._producer.start()

    async def write(self, events: Sequence[Encoded]) -> None:
        assert self._producer is not None, "start() first"
        topics = self.settings.topics
        pending = [
            await self._producer.send(
                topics[topic_for_type(e.type)], e.line, key=e.account_id.encode("utf-8")
            )
            for e in events
        ]
        await asyncio.gather(*pending)

    async def dead_letter(self, key: bytes | None, value: bytes) -> None:
        assert self._producer is not None, "start() first"
        await self._producer.send_and_wait(self.settings.dead_letter_topic, value, key=key)

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()


def choose_destination(
    output: str | None, kafka: bool, env: Mapping[str, str] | None = None, append: bool = False
) -> EventWriter:
    """The writer the destination rule picks (see the module docstring)."""
    env = os.environ if env is None else env
    if output and kafka:
        raise DestinationError("--output and --kafka exclude each other")
    if output:
        return JsonlWriter(output, append=append, fsync=append)
    if kafka or env.get("SOCIALKPI_KAFKA_BOOTSTRAP"):
        return KafkaWriter(WorkerSettings())
    raise DestinationError(
        "no destination: pass --output FILE (JSON lines for `socialkpi replay`), or --kafka "
        "or set SOCIALKPI_KAFKA_BOOTSTRAP to write to the worker's topics"
    )


def unique_in_time_order(events: Iterable[Encoded], summary: ImportSummary) -> list[Encoded]:
    """Drop repeated ids of one run (counted), order by event time: the file then replays
    like a log and Kafka gets each account's events in time order."""
    seen: set[tuple[str, str]] = set()
    out: list[Encoded] = []
    for event in events:
        key = (event.account_id, event.event_id)
        if key in seen:
            summary.duplicates += 1
            continue
        seen.add(key)
        out.append(event)
    out.sort(key=lambda e: (e.occurred_us, e.account_id, e.event_id))
    return out


async def write_all(writer: EventWriter, events: Sequence[Encoded], batch: int = 5000) -> int:
    """Start, write in batches, close; returns the number written."""
    await writer.start()
    try:
        for i in range(0, len(events), batch):
            await writer.write(events[i : i + batch])
    finally:
        await writer.close()
    return len(events)
