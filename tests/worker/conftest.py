"""Fixtures of the worker tests: fresh topics per test (`setup`, with `partitions` that a
module may override) and the worker processes a test started, stopped at its end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .harness import WorkerProcess, WorkerSetup, worker_topics


@pytest.fixture
def partitions() -> int:
    return 4


@pytest.fixture
async def setup(
    kafka_bootstrap: str,
    redis_url: str,
    redis_prefix: str,
    unique_name: str,
    tmp_path: Path,
    partitions: int,
) -> AsyncIterator[WorkerSetup]:
    async with worker_topics(
        kafka_bootstrap,
        redis_url,
        redis_prefix,
        unique_name,
        tmp_path / "worker",
        partitions=partitions,
    ) as run:
        yield run


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()
