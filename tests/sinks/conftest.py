"""Fixtures of the sink tests: privacy keys, a small record set with member lists.

``promtool`` is a fixture of ``tests/conftest.py``. ``redis_server`` is the binary
``scripts/services.sh`` installs; the TLS/AUTH test starts its own instance of it on a free
loopback port.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator

import pytest

from sinks.privacy import generate_key
from sinks.prometheus.exporter import PrometheusExporter
from tests.support import unavailable


@pytest.fixture(scope="session")
def redis_server_bin() -> str:
    """Path of redis-server (installed by ``bash scripts/services.sh up``)."""
    path = shutil.which("redis-server")
    if path is None:
        unavailable(
            "redis-server not found on PATH; start the services: bash scripts/services.sh up"
        )
    return path


@pytest.fixture
def pseudonym_key() -> str:
    return generate_key()


@pytest.fixture
def reveal_key() -> str:
    return generate_key()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No SOCIALKPI_* variable of the caller's shell leaks into SinkSettings()."""
    for name in list(os.environ):
        if name.startswith("SOCIALKPI_") and name != "SOCIALKPI_REDIS_URL":
            monkeypatch.delenv(name)
    yield monkeypatch


@pytest.fixture
async def exporter() -> AsyncIterator[PrometheusExporter]:
    """An exporter serving /metrics on a free loopback port (`sink_data.scrape` reads it)."""
    ex = PrometheusExporter(recent_posts=20)
    ex.start_http(0, "127.0.0.1")
    yield ex
    await ex.close()
