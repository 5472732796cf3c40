"""Round trip through the real services: Kafka topic -> consumer group -> Redis -> read back.

Uses aiokafka and redis.asyncio directly. ``parse_event`` is the one place that knows the
wire format: swap it for the event models (and ``write_events`` for the KPI engine) later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import GroupCoordinatorNotAvailableError, KafkaError, TopicAlreadyExistsError

pytestmark = pytest.mark.integration

T = TypeVar("T")

# Raw events as a producer would publish them (JSON, key = account_id).
EVENTS: list[dict[str, Any]] = [
    {"event_id": "ev-1", "account_id": "acct-a", "type": "connection_accepted", "ts": 1000},
    {"event_id": "ev-2", "account_id": "acct-b", "type": "message_sent", "ts": 1001},
    {"event_id": "ev-3", "account_id": "acct-a", "type": "message_sent", "ts": 1002},
    {"event_id": "ev-4", "account_id": "acct-a", "type": "message_replied", "ts": 1003},
    {"event_id": "ev-5", "account_id": "acct-c", "type": "profile_view", "ts": 1004},
    {"event_id": "ev-6", "account_id": "acct-b", "type": "message_sent", "ts": 1005},
]
CONSUME_TIMEOUT_S = 60.0


def parse_event(raw: bytes) -> dict[str, Any]:
    """Decode one message value. The seam to swap for the event models."""
    event = json.loads(raw)
    if not isinstance(event, dict):
        raise ValueError(f"expected a JSON object, got {type(event).__name__}")
    return event


async def write_events(client: aioredis.Redis, prefix: str, events: list[dict[str, Any]]) -> None:
    """One pipeline: each event stored under its id, plus a per-account count by type."""
    async with client.pipeline(transaction=True) as pipe:
        for event in events:
            pipe.set(f"{prefix}event:{event['event_id']}", json.dumps(event, sort_keys=True))
            pipe.hincrby(f"{prefix}account:{event['account_id']}", event["type"], 1)
        await pipe.execute()


async def retry_transient(op: Callable[[], Awaitable[T]], *, attempts: int = 30) -> T:
    """Retry what a fresh broker answers while it is still settling, such as
    GroupCoordinatorNotAvailableError before __consumer_offsets exists."""
    for attempt in range(1, attempts + 1):
        try:
            return await op()
        except KafkaError as error:
            transient = isinstance(error, GroupCoordinatorNotAvailableError) or error.retriable
            if not transient or attempt == attempts:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def create_topic(admin: AIOKafkaAdminClient, topic: str) -> None:
    async def create() -> None:
        try:
            await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        except TopicAlreadyExistsError:
            pass  # a retried request that had in fact succeeded

    await retry_transient(create)


async def produce(bootstrap: str, topic: str, events: list[dict[str, Any]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        key_serializer=str.encode,
        value_serializer=lambda value: json.dumps(value).encode(),
    )
    await retry_transient(producer.start)
    try:
        for event in events:
            await producer.send_and_wait(topic, value=event, key=event["account_id"])
    finally:
        await producer.stop()


async def consume(consumer: AIOKafkaConsumer, expected: int) -> list[tuple[str, dict[str, Any]]]:
    """(key, parsed event) pairs, in log order, until `expected` arrived or the deadline."""
    received: list[tuple[str, dict[str, Any]]] = []
    deadline = time.monotonic() + CONSUME_TIMEOUT_S
    while len(received) < expected and time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=1000)
        for messages in batches.values():
            for message in messages:
                received.append((message.key.decode(), parse_event(message.value)))
    return received


async def test_kafka_to_redis_roundtrip(
    kafka_bootstrap: str,
    redis_client: aioredis.Redis,
    redis_prefix: str,
    unique_name: str,
) -> None:
    topic = f"socialkpi-it-{unique_name}"
    group = f"socialkpi-it-{unique_name}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=10000)
    await retry_transient(admin.start)
    try:
        await create_topic(admin, topic)
        await produce(kafka_bootstrap, topic, EVENTS)

        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await retry_transient(consumer.start)
        try:
            received = await consume(consumer, len(EVENTS))
            assert len(received) == len(EVENTS), f"got {len(received)} of {len(EVENTS)} events"
            await write_events(redis_client, redis_prefix, [event for _, event in received])
            await retry_transient(consumer.commit)
            committed = await retry_transient(lambda: consumer.committed(TopicPartition(topic, 0)))
        finally:
            await consumer.stop()
    finally:
        with contextlib.suppress(KafkaError):  # best effort: keep the dev broker tidy
            await admin.delete_topics([topic])
        await admin.close()

    # Kafka: one partition keeps the log order, keys are the account ids, the group committed.
    assert [event for _, event in received] == EVENTS
    assert [key for key, _ in received] == [event["account_id"] for event in EVENTS]
    assert committed == len(EVENTS)

    # Redis: every event under its id, and the per-account counts.
    stored = await redis_client.mget([f"{redis_prefix}event:{e['event_id']}" for e in EVENTS])
    assert [json.loads(value) for value in stored] == EVENTS
    for account in {event["account_id"] for event in EVENTS}:
        counts = await redis_client.hgetall(f"{redis_prefix}account:{account}")
        expected = Counter(e["type"] for e in EVENTS if e["account_id"] == account)
        assert {kind: int(n) for kind, n in counts.items()} == dict(expected)
