"""A transition reaches the sinks only once the alert topic (the evaluator's memory) has it.

Otherwise a worker SIGKILLed between the two leaves Redis saying "firing" while its
successor, restoring from the topic, knows of no firing alert and announces it again.
The live version of this is `test_alerts.test_worker_alert_transitions`."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from alerting.evaluator import AlertTransition
from streams.app import KpiWorker
from streams.publisher import FanoutPublisher

FIRING = AlertTransition(
    account_id="rep-low",
    rule="acceptance_rate_low",
    state="firing",
    at="2026-12-01T00:00:00Z",
    active_since="2026-12-01T00:00:00Z",
    value=0.1,
    threshold=0.3,
    sample=30,
)


class AlertTopic:
    """Acknowledges a send only when the test says so."""

    def __init__(self) -> None:
        self.acks: list[asyncio.Future[None]] = []

    async def send(self, key: bytes, value: bytes) -> asyncio.Future[None]:
        self.acks.append(asyncio.get_running_loop().create_future())
        return self.acks[-1]


class AlertFeed:
    def __init__(self) -> None:
        self.added: list[AlertTransition] = []

    async def publish(self, *args: Any) -> None: ...

    async def flush(self, summary: Any) -> None: ...

    async def close(self) -> None: ...

    def add_transitions(self, transitions: list[AlertTransition]) -> None:
        self.added.extend(transitions)


def worker(topic: AlertTopic, feed: AlertFeed) -> Any:
    return SimpleNamespace(alert_topic=topic, publisher=FanoutPublisher([feed]))


async def test_sinks_get_a_transition_after_the_topic_acknowledged_it() -> None:
    topic, feed = AlertTopic(), AlertFeed()
    publishing = asyncio.create_task(KpiWorker.publish_transitions(worker(topic, feed), [FIRING]))
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(topic.acks) == 1 and feed.added == []  # sent, not acknowledged: not announced
    topic.acks[0].set_result(None)
    await publishing
    assert feed.added == [FIRING]


async def test_an_unacknowledged_transition_is_still_announced() -> None:
    """The broker away: alerting late twice beats never alerting."""
    topic, feed = AlertTopic(), AlertFeed()
    publishing = asyncio.create_task(KpiWorker.publish_transitions(worker(topic, feed), [FIRING]))
    for _ in range(5):
        await asyncio.sleep(0)
    topic.acks[0].set_exception(ConnectionError("broker away"))
    await publishing
    assert feed.added == [FIRING]
