"""Where imported events go: the worker's Kafka topics, or a JSON-lines file for replay.

Destination rule (`choose_destination`): `--output FILE` writes JSON lines; otherwise
Kafka, when `--kafka` is given or `SOCIALKPI_KAFKA_BOOTSTRAP` is set; otherwise an error
(an importer never guesses a broker). Kafka uses the worker's settings (`WorkerSettings`:
bootstrap, SASL/TLS, topic names), key = `account_id`, `acks=all` with idempotence, and
`write` returns only once every event of the batch is acknowledged.

Batch messages (contract 1.1, `models.batch`): within one `write`, the events of one
account and topic (in their order) share Kafka messages of at most
`PublishSettings.batch_events` events and `batch_bytes` bytes; a lone event is a plain
single-event message, and `batch_events` 1 publishes every event alone (version 1).
Kafka orders messages per partition only (one account, one topic), which this keeps.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import BinaryIO, Literal

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

from importers.events import Encoded, ImportSummary
from importers.settings import PublishSettings, publish_settings
from models.batch import encode_message, pack
from streams.settings import WorkerSettings, topic_for_type

KAFKA_DEFAULT_REQUEST_BYTES = 1024 * 1024  # aiokafka's max_request_size default
REQUEST_OVERHEAD_BYTES = 16 * 1024  # key, headers and record batch framing, with room


class DestinationError(ValueError):
    """No destination, or two."""


class EventWriter:
    """Base of the two writers; `write` returns once the events are durable."""

    description = ""
    messages = 0  # Kafka messages written (a batch message counts once)

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
    """Produces to the worker's input topics (topic per event family, key = account_id),
    in batch messages per `publish` (default: `PublishSettings()`, the environment)."""

    def __init__(
        self,
        settings: WorkerSettings,
        linger_ms: int = 5,
        publish: PublishSettings | None = None,
    ) -> None:
        self.settings = settings
        self.linger_ms = linger_ms
        self.publish = publish or publish_settings()
        self.description = f"Kafka {settings.kafka_bootstrap}"
        self.messages = 0
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
            max_request_size=max(
                KAFKA_DEFAULT_REQUEST_BYTES, self.publish.batch_bytes + REQUEST_OVERHEAD_BYTES
            ),
            **self.settings.aiokafka_auth(),
        )
        await self._producer.start()

    async def write(self, events: Sequence[Encoded]) -> None:
        assert self._producer is not None, "start() first"
        send = self._producer.send
        limit = self.publish.batch_bytes
        pending = []
        try:
            for (topic, account), lines in runs(events, self.settings.topics).items():
                key = account.encode("utf-8")
                for group in pack(lines, self.publish.batch_events, limit):
                    value, headers = encode_message(group)
                    pending.append(await send(topic, value, key=key, headers=headers))
            outcomes = await asyncio.gather(*pending, return_exceptions=True)
            failed = next((o for o in outcomes if isinstance(o, BaseException)), None)
            if failed is not None:
                raise failed
        except MessageSizeTooLargeError:
            raise MessageSizeTooLargeError(
                f"the broker refused a message of up to {limit} bytes (the topic's "
                "max.message.bytes is lower): lower SOCIALKPI_PUBLISH_BATCH_BYTES "
                "(--batch-bytes) or raise max.message.bytes"
            ) from None
        self.messages += len(pending)

    async def dead_letter(self, key: bytes | None, value: bytes) -> None:
        assert self._producer is not None, "start() first"
        await self._producer.send_and_wait(self.settings.dead_letter_topic, value, key=key)

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()


def runs(
    events: Iterable[Encoded], topics: Mapping[str, str]
) -> dict[tuple[str, str], list[bytes]]:
    """The events' lines by (topic name, account), each list in the events' order, the
    groups in order of first appearance."""
    out: dict[tuple[str, str], list[bytes]] = {}
    for event in events:
        group = (topics[topic_for_type(event.type)], event.account_id)
        lines = out.get(group)
        if lines is None:
            out[group] = [event.line]
        else:
            lines.append(event.line)
    return out


def choose_destination(
    output: str | None,
    kafka: bool,
    env: Mapping[str, str] | None = None,
    append: bool = False,
    publish: PublishSettings | None = None,
) -> EventWriter:
    """The writer the destination rule picks (see the module docstring); `publish` packs
    Kafka messages (default: `PublishSettings()`, from SOCIALKPI_PUBLISH_*)."""
    env = os.environ if env is None else env
    if output and kafka:
        raise DestinationError("--output and --kafka exclude each other")
    if output:
        return JsonlWriter(output, append=append, fsync=append)
    if kafka or env.get("SOCIALKPI_KAFKA_BOOTSTRAP"):
        return KafkaWriter(WorkerSettings(), publish=publish)
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


async def write_all(writer: EventWriter, events: Sequence[Encoded], batch: int = 50_000) -> int:
    """Start, write in chunks (large: each chunk is packed into batch messages per account
    and topic), close; returns the number written."""
    await writer.start()
    try:
        for i in range(0, len(events), batch):
            await writer.write(events[i : i + batch])
    finally:
        await writer.close()
    return len(events)
