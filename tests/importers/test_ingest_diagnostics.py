"""`socialkpi ingest-http` with Kafka unreachable or a refused SASL login: one clear line
per attempt (what, where, which setting), retried with backoff, the server answering 503
meanwhile, and no traceback unless `--log-level debug`."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiokafka.errors import (
    IllegalSaslStateError,
    KafkaConnectionError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)
from importer_kit import worker_settings
from ingest_kit import AUTH, TOKEN

from importers.ingest_kafka import connect, describe
from importers.writer import KafkaWriter
from streams.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
KEY_TEXT = bytes(range(32)).hex()


def test_one_line_per_cause_naming_the_setting() -> None:
    settings = WorkerSettings(kafka_bootstrap="kafka-1:9092")
    unreachable = describe(ConnectionRefusedError(111, "refused"), settings)
    assert unreachable == (
        "Kafka not reachable at kafka-1:9092 (ConnectionRefusedError); "
        "check SOCIALKPI_KAFKA_BOOTSTRAP"
    )
    assert "SOCIALKPI_KAFKA_BOOTSTRAP" in describe(KafkaConnectionError("x"), settings)
    for error in (SaslAuthenticationFailed(), IllegalSaslStateError()):
        line = describe(error, settings)
        assert "refused the SASL login" in line and "SOCIALKPI_KAFKA_SASL_PASSWORD" in line
    assert "ACLs" in describe(TopicAuthorizationFailedError(), settings)
    layout = describe(RuntimeError("topics with a partition count other than 6"), settings)
    assert layout.startswith("Kafka setup at kafka-1:9092 failed (RuntimeError: topics")
    for line in (unreachable, describe(SaslAuthenticationFailed(), settings)):
        assert "\n" not in line


class Ingest:
    """The real command in a subprocess; stderr collected by a reader thread."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        command = [sys.executable, "-m", "cli.main", "ingest-http", "--port", "0", *args]
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []

    def read_until(self, pattern: str, count: int, timeout: float = 30) -> list[str]:
        """Lines so far, once `count` lines match `pattern` (blocking reads, bounded)."""
        assert self.proc.stderr is not None
        os.set_blocking(self.proc.stderr.fileno(), False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = self.proc.stderr.readline()
            if chunk:
                self.lines.append(chunk.rstrip("\n"))
            elif self.proc.poll() is not None:
                break
            else:
                time.sleep(0.05)
            if sum(1 for line in self.lines if re.search(pattern, line)) >= count:
                return self.lines
        raise AssertionError(f"{count} x {pattern!r} not seen in:\n" + "\n".join(self.lines))

    def port(self) -> int:
        self.read_until(r"Running on http://", 1)
        found = next(re.search(r":(\d+) =", line) for line in self.lines if "Running on" in line)
        assert found is not None
        return int(found.group(1))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALKPI_")}
    env.update(
        SOCIALKPI_INGEST_TOKEN=TOKEN,
        SOCIALKPI_PSEUDONYM_KEY=KEY_TEXT,
        SOCIALKPI_INGEST_KAFKA_RETRY_MAX_S="1",
        SOCIALKPI_CREATE_TOPICS="false",
        **extra,
    )
    return env


@pytest.fixture
def spawn() -> Iterator[list[Ingest]]:
    started: list[Ingest] = []
    yield started
    for ingest in started:
        ingest.stop()


async def _answers(port: int) -> tuple[int, dict[str, str], int]:
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as client:
        async with client.get("/healthz") as resp:
            health = await resp.json()
        async with client.post("/v1/events", data=b"{}", headers=AUTH) as resp:
            return resp.status, health, int(resp.headers.get("Retry-After", "0"))


def test_unreachable_kafka_one_line_per_attempt_and_503(spawn: list[Ingest]) -> None:
    ingest = Ingest(environment(SOCIALKPI_KAFKA_BOOTSTRAP="127.0.0.1:1"))
    spawn.append(ingest)
    lines = ingest.read_until(r"Kafka not reachable", 3)
    failures = [line for line in lines if "Kafka not reachable" in line]
    assert all(
        "Kafka not reachable at 127.0.0.1:1 (ConnectionRefusedError); check "
        "SOCIALKPI_KAFKA_BOOTSTRAP; retrying in" in line
        for line in failures
    ), failures
    assert re.search(r"retrying in 0\.5 s \(attempt 1\)", failures[0])
    assert re.search(r"retrying in 1\.0 s \(attempt 2\)", failures[1])  # doubled, capped at 1
    status, health, retry_after = asyncio.run(_answers(ingest.port()))
    assert (status, health, retry_after) == (503, {"status": "ok", "kafka": "connecting"}, 5)
    ingest.stop()
    assert ingest.proc.returncode == 0
    text = "\n".join(ingest.lines)
    assert "Traceback" not in text and TOKEN not in text and KEY_TEXT not in text


def test_refused_sasl_login_is_one_line(spawn: list[Ingest], kafka_bootstrap: str) -> None:
    """SASL against the plaintext test broker: the handshake is refused."""
    env = environment(
        SOCIALKPI_KAFKA_BOOTSTRAP=kafka_bootstrap,
        SOCIALKPI_KAFKA_SASL_MECHANISM="PLAIN",
        SOCIALKPI_KAFKA_SASL_USERNAME="ingest",
        SOCIALKPI_KAFKA_SASL_PASSWORD="not-the-password",
    )
    ingest = Ingest(env)
    spawn.append(ingest)
    lines = ingest.read_until(r"refused the SASL login", 2)
    failure = next(line for line in lines if "refused the SASL login" in line)
    assert f"Kafka at {kafka_bootstrap} refused the SASL login" in failure
    assert "check SOCIALKPI_KAFKA_SASL_MECHANISM" in failure
    text = "\n".join(lines)
    assert "Traceback" not in text and "not-the-password" not in text


def test_debug_log_level_shows_the_traceback(spawn: list[Ingest]) -> None:
    ingest = Ingest(environment(SOCIALKPI_KAFKA_BOOTSTRAP="127.0.0.1:1"), "--log-level", "debug")
    spawn.append(ingest)
    ingest.read_until(r"Traceback", 1)


def test_missing_pseudonym_key_is_one_line() -> None:
    env = environment()
    del env["SOCIALKPI_PSEUDONYM_KEY"]
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest-http", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "SOCIALKPI_PSEUDONYM_KEY is not set" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


class _FlakyWriter(KafkaWriter):
    """Fails its first two starts like a broker that is still coming up."""

    def __init__(self, settings: WorkerSettings) -> None:
        super().__init__(settings)
        self.failures = 2

    async def start(self) -> None:
        if self.failures:
            self.failures -= 1
            raise KafkaConnectionError("not yet")
        await super().start()


@pytest.mark.integration
async def test_retries_until_kafka_answers(
    kafka_bootstrap: str, unique_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "socialkpi.ingest")
    writer = _FlakyWriter(worker_settings(kafka_bootstrap, unique_name))
    ready, tried = asyncio.Event(), asyncio.Event()
    started = time.monotonic()
    await asyncio.wait_for(connect(writer, 1.0, ready, tried), 30)
    try:
        assert ready.is_set() and time.monotonic() - started >= 1.5  # 0.5 s, then 1.0 s
        failures = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
        assert len(failures) == 2 and "(attempt 2)" in failures[1]
        assert any("connected to Kafka" in r.getMessage() for r in caplog.records)
    finally:
        await writer.close()
