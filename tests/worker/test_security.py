"""The worker on a broker that requires SASL (PLAIN and SCRAM-SHA-256), credentials from the
environment: it drains a log to replay's records, and a wrong password is refused without
ever reaching the log."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from kpis.timeutil import format_ts

from . import sasl_broker
from .harness import WorkerProcess, WorkerSetup, create_topics, produce, wait_drained, wait_records
from .helpers import by_account, event_log, max_event_time, replay_records, write_log

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sasl_broker.SaslBroker]:
    info, proc = sasl_broker.start(tmp_path_factory.mktemp("sasl-broker"))
    try:
        yield info
    finally:
        sasl_broker.stop(proc)


def sasl_setup(
    broker: sasl_broker.SaslBroker, mechanism: str, password: str | None, **kwargs: object
) -> WorkerSetup:
    user, real_password = broker.users[mechanism]
    setup = WorkerSetup(bootstrap=broker.bootstrap, partitions=2, **kwargs)  # type: ignore[arg-type]
    setup.extra.update(
        KAFKA_SASL_MECHANISM=mechanism,
        KAFKA_SASL_USERNAME=user,
        KAFKA_SASL_PASSWORD=password or real_password,
    )
    return setup


@pytest.fixture
async def workers() -> AsyncIterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
async def test_worker_over_sasl_equals_replay(
    broker: sasl_broker.SaslBroker,
    mechanism: str,
    workers: list[WorkerProcess],
    redis_url: str,
    redis_prefix: str,
    redis_client: aioredis.Redis,
    unique_name: str,
    tmp_path: Path,
) -> None:
    items = event_log(seed=4, accounts=3, events=600)
    as_of = max_event_time(items)
    expected = by_account(replay_records(write_log(tmp_path / "events.jsonl", items), as_of))
    setup = sasl_setup(
        broker,
        mechanism,
        None,
        suffix=unique_name[:16],
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        data_dir=tmp_path / "worker",
        as_of=format_ts(as_of),
    )
    await create_topics(setup)
    await produce(setup, items)
    workers.append(WorkerProcess(setup, "worker-0"))
    await wait_drained(setup, workers, 90)
    await wait_records(redis_client, setup.redis_prefix, expected, workers, 45)
    password = broker.users[mechanism][1]
    assert password not in workers[0].log_path.read_text()


async def test_wrong_password_is_refused_and_never_logged(
    broker: sasl_broker.SaslBroker,
    workers: list[WorkerProcess],
    redis_url: str,
    redis_prefix: str,
    unique_name: str,
    tmp_path: Path,
) -> None:
    common = dict(
        suffix=unique_name[:16],
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        data_dir=tmp_path / "worker",
    )
    await create_topics(sasl_setup(broker, "PLAIN", None, **common))
    wrong = "not-the-password-" + unique_name[:8]
    setup = sasl_setup(broker, "PLAIN", wrong, **common)
    setup = dataclasses.replace(setup, extra={**setup.extra, "CREATE_TOPICS": "false"})
    worker = WorkerProcess(setup, "worker-0")
    workers.append(worker)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and worker.alive():
        await asyncio.sleep(0.5)
    log = worker.log_path.read_text(errors="replace")
    # One line saying what to check, exit 2, no traceback, and never the password.
    assert worker.proc.returncode == 2, log[-3000:]
    assert "refused the credentials" in log and "SOCIALKPI_KAFKA_SASL" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert len(log.strip().splitlines()) <= 3, log[-3000:]
    assert wrong not in log
