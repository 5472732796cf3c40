"""`socialkpi ingest-http`: contract events from collectors and vendor webhooks over HTTP.

- `POST /v1/events`: a JSON array, one JSON object, or JSON lines of contract events.
- `POST /v1/webhooks/{vendor}[?account=ID]`: vendor payloads (same framing), mapped by
  `importers.webhooks`.
- `GET /healthz`: liveness, no token.

Every other request needs the token (`Authorization: Bearer TOKEN` or `?token=TOKEN`),
else 401; a body above the limit gets 413 before it is read. Items are judged one by one
(`importers.ingest_batch`: the answer says which were accepted); no input ever gets a 5xx.
An accepted event is on Kafka (acknowledged by all in-sync replicas) before the answer;
when Kafka fails (or is not reached yet) the answer is 503 and nothing counts as accepted
(a retry is safe: ids are deterministic). The access log shows method, path and status,
never the query string (it may hold the token) nor bodies. Reference: docs/importers.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiokafka.errors import KafkaError

from importers.ingest_batch import Batch
from importers.ingest_judge import RequestError, judge_events, judge_webhooks, unknown_vendor
from importers.ingest_kafka import close_quietly, connect
from importers.settings import IngestSettings
from importers.webhooks import VendorMapping
from importers.writer import EventWriter
from models.rejects import RejectKind

log = logging.getLogger("socialkpi.ingest")
THREAD_BYTES = 256 * 1024  # larger bodies are judged in a thread, off the event loop
Judged = Batch | RequestError
T = TypeVar("T")
LINGER_S = 2.0  # after an early answer (408, 413), unread body bytes are drained this long


class AccessLogger(AbstractAccessLogger):
    """Method, path without the query string, status and duration."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.3fs", request.method, request.path, response.status, time)


class IngestServer:
    def __init__(
        self,
        settings: IngestSettings,
        writer: EventWriter,
        mappings: dict[str, VendorMapping],
        key: bytes,
    ) -> None:
        self.settings = settings
        self.writer = writer
        self.mappings = mappings
        self._key = key  # the pseudonym key: webhook ids derived from members are keyed
        self._token = settings.token.get_secret_value().encode()
        self._ready = asyncio.Event()
        self._connecting: asyncio.Task[None] | None = None

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=self.settings.max_body_bytes, middlewares=[self._guard]
        )
        app.router.add_get("/healthz", self._health)
        app.router.add_post("/v1/events", self._events)
        app.router.add_post("/v1/webhooks/{vendor}", self._webhook)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)
        return app

    def runner_options(self) -> dict[str, Any]:
        """Keyword arguments of `web.AppRunner` / `web.run_app`: aiohttp closes a connection
        that has not sent a whole request head within its keep-alive timeout (counted from
        the connection or the previous answer), which makes it the header read timeout."""
        return {
            "access_log_class": AccessLogger,
            "keepalive_timeout": self.settings.header_timeout_s,
            "lingering_time": LINGER_S,
        }

    async def _start(self, _app: web.Application) -> None:
        """First attempt before listening; a failed one retries in the background."""
        tried = asyncio.Event()
        self._connecting = asyncio.create_task(
            connect(self.writer, self.settings.kafka_retry_max_s, self._ready, tried)
        )
        waiter = asyncio.ensure_future(tried.wait())
        await asyncio.wait({self._connecting, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self._connecting.done():
            self._connecting.result()  # a writer that is not Kafka failed to open: raise

    async def _stop(self, _app: web.Application) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        await close_quietly(self.writer)

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Token first (no body is read for a stranger), then the size limit and Kafka."""
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
            return self._too_large()
        if not self._ready.is_set():
            return _unavailable("Kafka is not reachable yet")
        try:
            response = await handler(request)
        except web.HTTPRequestEntityTooLarge:  # chunked body beyond the limit
            return self._too_large()
        return response

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        given = given or request.query.get("token", "")
        return hmac.compare_digest(given.encode(), self._token)

    async def _health(self, _request: web.Request) -> web.Response:
        kafka = "ready" if self._ready.is_set() else "connecting"
        return web.json_response({"status": "ok", "kafka": kafka})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if isinstance(body, web.StreamResponse):
            return body
        limit = self.settings.max_batch_events
        return await self._answer(request, body, judge_events, request.path, body, limit)

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        account = request.query.get("account")
        if account is not None and not 1 <= len(account) <= 200:
            return _error(RequestError("account: 1 to 200 characters", RejectKind.INVALID_FIELD))
        body = await self._body(request)
        if isinstance(body, web.StreamResponse):
            return body
        vendor = request.match_info["vendor"]
        mapping = self.mappings.get(vendor)
        if mapping is None:
            known = list(self.mappings)
            judged = await _judge(len(body), unknown_vendor, request.path, vendor[:40], body, known)
            batch, error = judged
            return await self._commit(request, batch, _error(error))
        limit = self.settings.max_batch_events
        args = (request.path, body, limit, mapping, account, self._key)
        return await self._answer(request, body, judge_webhooks, *args)

    async def _body(self, request: web.Request) -> bytes | web.StreamResponse:
        """The whole body within the body timeout, else 408 (and the connection closed)."""
        try:
            return await asyncio.wait_for(request.read(), self.settings.body_timeout_s)
        except TimeoutError:
            timeout = self.settings.body_timeout_s
            response = web.json_response(
                {"error": f"body not received within {timeout:g} s"}, status=408
            )
            response.force_close()
            return response

    async def _answer(
        self, request: web.Request, body: bytes, judge: Callable[..., Judged], *args: Any
    ) -> web.Response:
        """Judge, then commit."""
        judged = await _judge(len(body), judge, *args)
        if isinstance(judged, RequestError):
            return _error(judged)
        return await self._commit(request, judged)

    async def _commit(
        self, request: web.Request, batch: Batch, answer: web.Response | None = None
    ) -> web.Response:
        """Events, then dead letters, durable before the answer; any Kafka failure: 503."""
        try:
            if batch.events:
                await self.writer.write(batch.events)
            await asyncio.gather(*(self.writer.dead_letter(k, v) for k, v in batch.dead))
        except (KafkaError, OSError) as error:
            log.error(
                "%s %s: write failed (%s)", request.method, request.path, type(error).__name__
            )
            return _unavailable("could not write to Kafka")
        log.info(
            "%s: accepted %d, ignored %d, rejected %d",
            request.path,
            batch.count("accepted"),
            batch.count("ignored"),
            batch.count("rejected"),
        )
        return answer or web.json_response(batch.body(), status=batch.status())

    def _too_large(self) -> web.Response:
        limit = self.settings.max_body_bytes
        return _error(RequestError(f"body larger than {limit} bytes", RejectKind.OVERSIZE))


async def _judge(size: int, judge: Callable[..., T], *args: Any) -> T:
    """In a thread for a large body (the event loop keeps serving), else inline."""
    if size > THREAD_BYTES:
        return await asyncio.to_thread(judge, *args)
    return judge(*args)


def _error(error: RequestError) -> web.Response:
    return web.json_response(error.body(), status=error.http_status)


def _unavailable(why: str) -> web.Response:
    return web.json_response(
        {"error": f"{why}; nothing was accepted, retry later"},
        status=503,
        headers={"Retry-After": "5"},
    )


def run(server: IngestServer) -> None:
    """Serve until SIGINT/SIGTERM (aiohttp's runner), writer started and closed with it."""
    settings = server.settings
    web.run_app(
        server.app(),
        host=settings.host,
        port=settings.port,
        print=lambda text: log.info("%s", text.strip().splitlines()[0]),
        **server.runner_options(),
    )
