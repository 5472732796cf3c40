"""Round trip through the real services: Kafka topic -> consumer group -> Redis -> read back.

Uses aiokafka and redis.asyncio directly. ``parse_event`` is the one place that knows the
wire format: swap it for the event models (and ``write_events`` for the KPI engine) later.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any, TypeVar

import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    KafkaError,
    TopicAlreadyExistsError,
    for_code,
)

import models
from kpis import Engine
from models import Event, KpiRecord
from streams.topics import retry_transient

pytestmark = pytest.mark.integration

T = TypeVar("T")


# Contract events as a collector would publish them (JSON, key = account_id), plus one bad one.
def _event(n: int, account: str, kind: str, minute: int, **payload: Any) -> dict[str, Any]:
    occurred_at = f"2026-11-20T10:{minute:02d}:00Z"
    base = {"event_id": f"ev-{n}", "type": kind, "occurred_at": occurred_at}
    return {**base, "account_id": account, **payload}


EVENTS: list[dict[str, Any]] = [
    _event(
        1, "acct-a", "invitation.sent", 0, invitation_id="i1", invitee_id="m1", direction="outbound"
    ),
    _event(
        2, "acct-a", "invitation.sent", 1, invitation_id="i2", invitee_id="m2", direction="outbound"
    ),
    _event(
        3, "acct-b", "message.sent", 2, conversation_id="c1", message_id="x1", recipient_id="m3"
    ),
    _event(4, "acct-a", "invitation.accepted", 3, invitation_id="i1"),
    _event(
        5, "acct-b", "message.received", 4, conversation_id="c1", message_id="x2", sender_id="m3"
    ),
    _event(6, "acct-a", "invitation.accepted", 3, invitation_id="i1") | {"event_id": "ev-4"},
    {"event_id": "ev-7", "type": "invitation.sent", "account_id": "acct-a", "occurred_at": 5},
]
VALID_DISTINCT = 5  # ev-6 re-sends ev-4; ev-7 has a number for occurred_at
CONSUME_TIMEOUT_S = 60.0


def parse_event(raw: bytes) -> Event:
    """Decode one message value with the contract models (raises EventRejected)."""
    return models.parse_event(raw)


async def write_records(client: aioredis.Redis, prefix: str, records: list[KpiRecord]) -> None:
    """One pipeline: the records of each account in a hash keyed by kpi|period|dims."""
    async with client.pipeline(transaction=True) as pipe:
        for record in records:
            field = "|".join((record.kpi, record.period, json.dumps(record.dims, sort_keys=True)))
            pipe.hset(f"{prefix}kpis:{record.account_id}", field, record.to_json())
        await pipe.execute()


async def create_topic(admin: AIOKafkaAdminClient, topic: str) -> None:
    """Create a 1-partition topic; the admin client returns per-topic errors, not raise them."""

    async def create() -> None:
        response = await admin.create_topics(
            [NewTopic(topic, num_partitions=1, replication_factor=1)]
        )
        for _name, code, *_ in response.topic_errors:
            # "already exists": a retried request that had in fact succeeded.
            if code not in (0, TopicAlreadyExistsError.errno):
                raise for_code(code)()

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


async def consume(consumer: AIOKafkaConsumer, expected: int) -> list[tuple[str, bytes]]:
    """(key, raw value) pairs, in log order, until `expected` arrived or the deadline."""
    received: list[tuple[str, bytes]] = []
    deadline = time.monotonic() + CONSUME_TIMEOUT_S
    while len(received) < expected and time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=1000)
        for messages in batches.values():
            for message in messages:
                received.append((message.key.decode(), message.value))
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
            engine = Engine()
            rejected = []
            for _key, raw in received:
                try:
                    engine.apply(parse_event(raw))
                except models.EventRejected as error:
                    rejected.append(error.reason)
            assert engine.max_event_time is not None
            records = engine.evaluate(engine.max_event_time)
            await write_records(redis_client, redis_prefix, records)
            await retry_transient(consumer.commit)
            committed = await retry_transient(lambda: consumer.committed(TopicPartition(topic, 0)))
        finally:
            await consumer.stop()
    finally:
        with contextlib.suppress(KafkaError):  # best effort: keep the dev broker tidy
            await admin.delete_topics([topic])
        await admin.close()

    # Kafka: one partition keeps the log order, keys are the account ids, the group committed.
    assert [json.loads(raw) for _, raw in received] == EVENTS
    assert [key for key, _ in received] == [event["account_id"] for event in EVENTS]
    assert committed == len(EVENTS)

    # Validation: the bad event was rejected with its field, the re-sent one counted once.
    assert len(rejected) == 1 and rejected[0].startswith("occurred_at: ")
    assert engine.stats["applied"] == VALID_DISTINCT and engine.stats["duplicate"] == 1

    # Redis: the records read back equal what the engine produced, and the numbers are right.
    for account in ("acct-a", "acct-b"):
        stored = await redis_client.hgetall(f"{redis_prefix}kpis:{account}")
        expected = {r.to_json() for r in records if r.account_id == account}
        assert set(stored.values()) == expected
    rate = await redis_client.hget(
        f"{redis_prefix}kpis:acct-a", "invitation_acceptance_rate|rolling_96h|{}"
    )
    assert rate is not None and json.loads(rate)["value"] == 0.5  # 1 accepted of 2 sent
    replied = await redis_client.hget(f"{redis_prefix}kpis:acct-b", "reply_rate|rolling_7d|{}")
    assert replied is not None and json.loads(replied)["value"] == 1.0
