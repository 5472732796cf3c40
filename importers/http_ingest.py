"""`socialkpi ingest-http`: contract events from collectors and vendor webhooks over HTTP.

- `POST /v1/events`: a JSON array, one JSON object, or JSON lines of contract events.
- `POST /v1/webhooks/{vendor}[?account=ID]`: one vendor payload (or an array of them),
  mapped by `importers.webhooks`.
- `GET /healthz`: liveness, no token.

Every other request needs the token (`Authorization: Bearer TOKEN` or `?token=TOKEN`),
else 401; a body above the limit gets 413 before it is read. An accepted event is on Kafka
(acknowledged by all in-sync replicas) before the 2xx; when Kafka fails the answer is 503
and nothing counts as accepted (a retry is safe: ids are deterministic). Input that maps to
no event gets 4xx and a dead letter in the worker's format (`streams/dead_letters.py`),
with message-like fields of webhook payloads redacted. The access log shows method, path
and status, never the query string (it may hold the token) nor bodies.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiokafka.errors import KafkaError

from importers.events import Encoded, encode, encode_line
from importers.settings import IngestSettings
from importers.webhooks import Unmappable, VendorMapping, map_payload, redact
from importers.writer import EventWriter
from models import EventRejected
from streams.dead_letters import dead_letter_document

APP_ID = "socialkpi-ingest-http"
log = logging.getLogger("socialkpi.ingest")


@dataclass(frozen=True, slots=True)
class _Origin:
    """What `dead_letter_document` reads from a Kafka message, for an HTTP request."""

    topic: str
    key: bytes | None
    value: bytes
    partition: int | None = None
    offset: int | None = None


@dataclass(slots=True)
class _Batch:
    events: list[Encoded] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    dead: list[tuple[bytes | None, bytes]] = field(default_factory=list)
    ignored: int = 0

    def reject(self, index: int, reason: str, kind: str, origin: _Origin, redacted: bool) -> None:
        self.rejected.append({"index": index, "reason": reason})
        key, value = dead_letter_document(origin, reason, kind, APP_ID, time.time_ns() // 1000)
        if redacted:
            document = json.loads(value)
            document["redacted"] = True
            value = json.dumps(document, separators=(",", ":")).encode()
        self.dead.append((key, value))


class AccessLogger(AbstractAccessLogger):
    """Method, path without the query string, status and duration."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.3fs", request.method, request.path, response.status, time)


class IngestServer:
    def __init__(
        self, settings: IngestSettings, writer: EventWriter, mappings: dict[str, VendorMapping]
    ) -> None:
        self.settings = settings
        self.writer = writer
        self.mappings = mappings
        self._token = settings.token.get_secret_value().encode()

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=self.settings.max_body_bytes, middlewares=[self._guard]
        )
        app.router.add_get("/healthz", self._health)
        app.router.add_post("/v1/events", self._events)
        app.router.add_post("/v1/webhooks/{vendor}", self._webhook)
        app.on_startup.append(lambda _app: self.writer.start())
        app.on_cleanup.append(lambda _app: self.writer.close())
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Token first (no body is read for a stranger), then the size limit."""
        if request.path == "/healthz":
            response: web.StreamResponse = await handler(request)
            return response
        if not self._authorized(request):
            return web.json_response(
                {"error": "missing or wrong token"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="socialkpi"'},
            )
        size = request.content_length
        if size is not None and size > self.settings.max_body_bytes:
            return _too_large(self.settings.max_body_bytes)
        try:
            response = await handler(request)
        except web.HTTPRequestEntityTooLarge:  # chunked body beyond the limit
            return _too_large(self.settings.max_body_bytes)
        return response

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        given = given or request.query.get("token", "")
        return hmac.compare_digest(given.encode(), self._token)

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _events(self, request: web.Request) -> web.Response:
        body = await request.read()
        items = _split(body)
        if isinstance(items, str):
            return web.json_response({"error": items}, status=400)
        if len(items) > self.settings.max_batch_events:
            return _too_many(self.settings.max_batch_events)
        batch = _Batch()
        for index, item in enumerate(items):
            try:
                batch.events.append(encode_line(item))
            except EventRejected as rejected:
                origin = _Origin(f"http:{request.path}", None, item)
                batch.reject(index, rejected.reason, rejected.kind, origin, redacted=False)
        return await self._commit(request, batch)

    async def _webhook(self, request: web.Request) -> web.Response:
        path = f"http:{request.path}"
        body = await request.read()
        account = request.query.get("account")
        if account is not None and not 1 <= len(account) <= 200:
            return web.json_response({"error": "account: 1 to 200 characters"}, status=400)
        batch = _Batch()
        mapping = self.mappings.get(request.match_info["vendor"])
        try:
            payload = json.loads(body)
        except ValueError:
            batch.reject(0, "malformed JSON", "malformed_json", _Origin(path, None, b""), True)
            return await self._commit(request, batch, status=400)
        if mapping is None:
            batch.reject(0, "unknown vendor", "unknown_vendor", _redacted(path, payload), True)
            return await self._commit(request, batch, status=404)
        payloads = payload if isinstance(payload, list) else [payload]
        if len(payloads) > self.settings.max_batch_events:
            return _too_many(self.settings.max_batch_events)
        for index, item in enumerate(payloads):
            try:
                event = map_payload(mapping, item, account)
                if event is None:
                    batch.ignored += 1
                    continue
                batch.events.append(encode(event))
            except (Unmappable, EventRejected) as error:
                origin = _redacted(path, item, mapping.redact)
                batch.reject(index, error.reason, error.kind, origin, redacted=True)
        return await self._commit(request, batch)

    async def _commit(self, request: web.Request, batch: _Batch, status: int = 0) -> web.Response:
        """Events, then dead letters, durable before the answer; any Kafka failure: 503."""
        try:
            if batch.events:
                await self.writer.write(batch.events)
            for key, value in batch.dead:
                await self.writer.dead_letter(key, value)
        except (KafkaError, OSError) as error:
            log.error(
                "%s %s: write failed (%s)", request.method, request.path, type(error).__name__
            )
            return web.json_response(
                {"error": "could not write to Kafka; nothing was accepted, retry later"},
                status=503,
            )
        accepted, rejected = len(batch.events), len(batch.rejected)
        log.info(
            "%s: accepted %d, rejected %d, ignored %d",
            request.path,
            accepted,
            rejected,
            batch.ignored,
        )
        if not status:
            status = 200 if not rejected else 207 if accepted or batch.ignored else 422
        body: dict[str, Any] = {
            "accepted": accepted,
            "ignored": batch.ignored,
            "rejected": batch.rejected,
        }
        return web.json_response(body, status=status)


def _split(body: bytes) -> list[bytes] | str:
    """The items of a batch: a JSON array, one object, or JSON lines; a str is an error."""
    text = body.strip()
    if not text:
        return "empty body"
    try:
        whole = json.loads(text)
    except ValueError:
        return [line for line in text.split(b"\n") if line.strip()]  # JSON lines
    if isinstance(whole, list):
        return [json.dumps(item, separators=(",", ":")).encode() for item in whole]
    if isinstance(whole, dict):
        return [text]
    return "expected a JSON object, an array of objects, or JSON lines"


def _redacted(path: str, payload: Any, extra: list[str] | None = None) -> _Origin:
    value = json.dumps(redact(payload, extra or ()), separators=(",", ":")).encode()
    return _Origin(path, None, value)


def _too_large(limit: int) -> web.Response:
    return web.json_response({"error": f"body larger than {limit} bytes"}, status=413)


def _too_many(limit: int) -> web.Response:
    return web.json_response({"error": f"more than {limit} items in one request"}, status=413)


def run(server: IngestServer) -> None:
    """Serve until SIGINT/SIGTERM (aiohttp's runner), writer started and closed with it."""
    settings = server.settings
    web.run_app(
        server.app(),
        host=settings.host,
        port=settings.port,
        access_log_class=AccessLogger,
        print=lambda text: log.info("%s", text.strip()),
    )
