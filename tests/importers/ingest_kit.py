"""Helpers of the ingest-http tests: a real server on a loopback port in front of the real
broker (topics of the test's own), a client, and what it wrote read back from Kafka."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from importer_kit import FIXTURES, consume, worker_settings

from importers.http_ingest import IngestServer
from importers.settings import IngestSettings
from importers.webhooks import load_mappings
from importers.writer import EventWriter, KafkaWriter
from streams.settings import WorkerSettings

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
KEY = bytes(range(32))  # the pseudonym key of these tests
HOOKS = FIXTURES / "webhooks"

Message = tuple[str, bytes | None, bytes]


def hook(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((HOOKS / f"{name}.json").read_text())
    return loaded


def ingest_settings(**extra: Any) -> IngestSettings:
    values: dict[str, Any] = {"max_body_bytes": 32 * 1024, "max_batch_events": 50, **extra}
    return IngestSettings(token=TOKEN, **values)


@dataclass
class Ingest:
    client: aiohttp.ClientSession
    settings: WorkerSettings
    port: int

    async def post(
        self, path: str, body: Any, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.client.post(
            path, data=data, headers=AUTH if headers is None else headers, **kwargs
        ) as resp:
            return resp.status, await resp.json()

    async def kafka(self, expected: int, timeout: float = 30.0) -> list[Message]:
        topics = [*self.settings.topics.values(), self.settings.dead_letter_topic]
        return await consume(self.settings.kafka_bootstrap, topics, expected, timeout)

    def split(self, got: list[Message]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(events, dead-letter documents) of what `kafka` read."""
        dead = self.settings.dead_letter_topic
        events = [json.loads(v) for t, _k, v in got if t != dead]
        letters = [json.loads(v) for t, _k, v in got if t == dead]
        return events, letters


def original(letter: dict[str, Any]) -> bytes:
    return base64.b64decode(letter["original"])


async def serve(server: IngestServer) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(server.app(), **server.runner_options())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


@asynccontextmanager
async def running(
    kafka_bootstrap: str,
    unique: str,
    settings: IngestSettings | None = None,
    vendors: Path | None = None,
    writer: EventWriter | None = None,
) -> AsyncIterator[Ingest]:
    """An ingest server on its own topics, and a client for it."""
    worker = worker_settings(kafka_bootstrap, unique)
    server = IngestServer(
        settings or ingest_settings(),
        writer or KafkaWriter(worker),
        load_mappings(vendors),
        KEY,
    )
    runner, port = await serve(server)
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as client:
            yield Ingest(client, worker, port)
    finally:
        await runner.cleanup()
