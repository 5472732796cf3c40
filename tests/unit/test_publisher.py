"""`streams.publisher.FanoutPublisher`: a failing sink is said once (no traceback per
evaluation), the other sink still gets every record, and recovery is said once."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from models.records import KpiRecord
from streams.publisher import FanoutPublisher


class Sink:
    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.published = 0

    async def publish(
        self, account_id: str, records: Sequence[KpiRecord], details: Mapping[str, Any] | Any
    ) -> None:
        if self.failing:
            raise ConnectionError("WRONGPASS invalid username-password pair")
        self.published += 1

    async def flush(self, summary: Mapping[str, Any]) -> None:
        return None

    async def close(self) -> None:
        return None


async def test_a_failing_sink_is_reported_once_until_it_works_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redis, prometheus = Sink(failing=True), Sink()
    fanout = FanoutPublisher([redis, prometheus])
    caplog.set_level(logging.INFO, logger="streams")
    for _ in range(5):  # five evaluations with Redis refusing the password
        await fanout.publish("rep-1", [], {})
        await fanout.flush({})
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "WRONGPASS" in errors[0].getMessage()
    assert errors[0].exc_info is None  # one line, no traceback
    assert prometheus.published == 5
    redis.failing = False
    await fanout.publish("rep-1", [], {})
    await fanout.flush({})
    assert any("works again" in r.getMessage() for r in caplog.records)
    assert redis.published == 1
