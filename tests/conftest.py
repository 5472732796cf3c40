"""Shared fixtures: the real Kafka broker and Redis that ``scripts/services.sh up`` starts.

``kafka_bootstrap`` and ``redis_url`` read SOCIALKPI_KAFKA_BOOTSTRAP / SOCIALKPI_REDIS_URL
(defaults: the script's ports) and check that the service really answers. When it does not,
the test is skipped with a hint, except under ``CI=true``: there it fails, so that CI can
never go green by skipping the tests that talk to the real services.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from typing import NoReturn

import pytest
import redis
import redis.asyncio as aioredis
from aiokafka.admin import AIOKafkaAdminClient

from tests.support import unavailable

DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:19092"
DEFAULT_REDIS_URL = "redis://127.0.0.1:16379/0"
START_HINT = "start them with: bash scripts/services.sh up"
CHECK_TIMEOUT_S = 10.0


def _unavailable(service: str, target: str, error: BaseException) -> NoReturn:
    unavailable(
        f"{service} not reachable at {target} ({type(error).__name__}: {error}); {START_HINT}"
    )


def _error_of(check: Callable[[], None]) -> Exception | None:
    """The exception `check` raises, if any (reported outside the except block, so that the
    skip or failure does not come with a chained traceback)."""
    try:
        check()
    except Exception as error:
        return error
    return None


def _tcp_check(hostport: str) -> None:
    host, _, port = hostport.strip().rpartition(":")
    with socket.create_connection((host or "127.0.0.1", int(port)), timeout=3):
        pass


async def _kafka_metadata(bootstrap: str) -> None:
    """A real metadata request: an open port alone may be a broker still starting."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
        if not cluster.get("brokers"):
            raise RuntimeError("the metadata lists no broker yet")
    finally:
        await admin.close()


def _check_kafka(bootstrap: str) -> None:
    _tcp_check(bootstrap.split(",")[0])
    # Sync session fixtures run outside any event loop, so asyncio.run is safe here.
    asyncio.run(asyncio.wait_for(_kafka_metadata(bootstrap), CHECK_TIMEOUT_S))


def _check_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=CHECK_TIMEOUT_S)
    try:
        if not client.ping():
            raise RuntimeError("PING did not answer PONG")
    finally:
        client.close()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """Bootstrap servers of the real broker, checked with a metadata request."""
    bootstrap = os.environ.get("SOCIALKPI_KAFKA_BOOTSTRAP", DEFAULT_KAFKA_BOOTSTRAP)
    error = _error_of(lambda: _check_kafka(bootstrap))
    if error is not None:
        _unavailable("Kafka", bootstrap, error)
    return bootstrap


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis, checked with PING."""
    url = os.environ.get("SOCIALKPI_REDIS_URL", DEFAULT_REDIS_URL)
    error = _error_of(lambda: _check_redis(url))
    if error is not None:
        _unavailable("Redis", url, error)
    return url


@pytest.fixture
def unique_name() -> str:
    """A suffix unique to this test, for topic and consumer-group names and key prefixes."""
    return uuid.uuid4().hex


@pytest.fixture
def redis_prefix(unique_name: str) -> str:
    """Key prefix owned by this test; ``redis_client`` deletes every key under it afterwards."""
    return f"socialkpi-test:{unique_name}:"


@pytest.fixture
async def redis_client(redis_url: str, redis_prefix: str) -> AsyncIterator[aioredis.Redis]:
    """A redis.asyncio client (str responses). Use keys under ``redis_prefix`` only."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*", count=1000)]
        if keys:
            await client.unlink(*keys)
        await client.aclose()


@pytest.fixture(scope="session")
def promtool() -> str:
    """Path of promtool (Debian package ``prometheus``, installed by scripts/services.sh)."""
    path = shutil.which("promtool")
    if path is None:
        unavailable("promtool not found on PATH; install it with: bash scripts/services.sh up")
    return path
