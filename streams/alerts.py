"""Alert transitions of the worker: evaluated with `alerting.AlertEvaluator`, published to a
compacted Kafka topic (key ``account_id:rule``, value the transition JSON) and to Redis.

The topic is also the evaluator's memory: after a (re)assignment the worker reads it to the
end and restores every alert whose last transition is ``firing``, so a restart neither
announces a firing alert again nor misses its resolution. Pending conditions (not yet
firing) start over, as they do when Prometheus restarts.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from alerting.evaluator import AlertEvaluator, AlertTransition
from kpis.timeutil import parse_ts
from streams.settings import WorkerSettings
from streams.topics import retry_transient

log = logging.getLogger("streams")


async def last_transitions(
    settings: WorkerSettings, timeout_s: float = 30.0
) -> dict[str, AlertTransition]:
    """The latest transition of every alert key in the alert topic (read to its end).

    Bounded by `timeout_s` (TimeoutError): a partition that never reaches its end offset
    must not stall the evaluation loop; the caller retries at the next evaluation."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        **settings.aiokafka_auth(),
    )
    await retry_transient(consumer.start)
    try:
        return await asyncio.wait_for(_read_to_end(consumer, settings.alert_topic), timeout_s)
    finally:
        await consumer.stop()


async def _read_to_end(consumer: AIOKafkaConsumer, topic: str) -> dict[str, AlertTransition]:
    latest: dict[str, AlertTransition] = {}
    partitions = consumer.partitions_for_topic(topic) or set()
    if not partitions:
        await consumer._client.force_metadata_update()  # a just-created topic
        partitions = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    if not tps:
        return latest
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    ends = await consumer.end_offsets(tps)
    remaining = {tp for tp in tps if ends[tp] > 0}
    while remaining:
        batches = await consumer.getmany(*remaining, timeout_ms=1000)
        for messages in batches.values():
            for message in messages:
                if message.value is None:
                    continue
                try:
                    transition = AlertTransition.from_json(message.value)
                except ValueError:
                    log.warning("unreadable alert transition at offset %d", message.offset)
                    continue
                latest[transition.key] = transition
        # Every partition, not only those that returned records: the tail of a compacted
        # partition can be empty, and its position still reaches the end.
        for tp in list(remaining):
            if await consumer.position(tp) >= ends[tp]:
                remaining.discard(tp)
    return latest


def restore_firing(evaluator: AlertEvaluator, latest: dict[str, AlertTransition]) -> int:
    """Load every alert whose last transition is firing into the evaluator; returns the count."""
    firing: dict[str, dict[str, dict[str, object]]] = {}
    for transition in latest.values():
        if transition.state == "firing":
            firing.setdefault(transition.account_id, {})[transition.rule] = {
                "active_since_us": parse_ts(transition.active_since),
                "firing": True,
            }
    for account_id, rules in firing.items():
        evaluator.load_state(account_id, rules)
    return sum(len(rules) for rules in firing.values())
