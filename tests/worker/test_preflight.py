"""`streams.preflight`: an unreachable service or refused credentials is one line saying what
to check, never a traceback; a wrong Redis password on a real password-protected Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sinks.settings import SinkSettings
from streams.preflight import EXIT_CONFIG, preflight
from streams.settings import WorkerSettings
from tests.local_broker import free_port
from tests.support import unavailable

pytestmark = pytest.mark.integration


@pytest.fixture
def protected_redis(tmp_path: Path) -> Iterator[int]:
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server not found; install it with: bash scripts/services.sh up")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--requirepass",
            "the-real-password",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


async def test_wrong_redis_password_is_one_line_and_exit_2(
    kafka_bootstrap: str, protected_redis: int, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "not-the-password"
    worker = WorkerSettings(kafka_bootstrap=kafka_bootstrap)
    sinks = SinkSettings(redis_url=f"redis://:{wrong}@127.0.0.1:{protected_redis}/0")
    with pytest.raises(SystemExit) as stopped:
        await preflight(worker, sinks)
    assert stopped.value.code == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Redis at redis://127.0.0.1" in err and "refused the credentials" in err
    assert "SOCIALKPI_REDIS_URL" in err and wrong not in err


async def test_right_redis_password_passes(kafka_bootstrap: str, protected_redis: int) -> None:
    sinks = SinkSettings(
        redis_url=f"redis://127.0.0.1:{protected_redis}/0", redis_password="the-real-password"
    )
    await preflight(WorkerSettings(kafka_bootstrap=kafka_bootstrap), sinks)


async def test_unreachable_kafka_is_retried_then_one_line(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nothing listens there
    worker = WorkerSettings(kafka_bootstrap=f"127.0.0.1:{port}")
    with pytest.raises(SystemExit) as stopped:
        await preflight(worker, SinkSettings(), attempts=2)
    assert stopped.value.code == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"Kafka unreachable at 127.0.0.1:{port}" in err, err
    assert "SOCIALKPI_KAFKA_BOOTSTRAP" in err
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 1  # the first attempt failed, was said once, and retried
    assert not [r for r in caplog.records if r.name.startswith("aiokafka")]
