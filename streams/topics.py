"""Create the worker's topics before it starts: Faust ignores a source topic missing at start.

`python -m streams.topics` (same SOCIALKPI_* settings as the worker) or `ensure_topics()`.
Input topics get `settings.partitions` partitions; an existing topic (or state changelog)
with another count is an error, since an account's events and state must share a partition
number across every input topic and the changelog.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupCoordinatorNotAvailableError,
    KafkaError,
    TopicAlreadyExistsError,
    for_code,
)

from streams.settings import WorkerSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
STATE_TABLE = "state"


class TopicLayoutError(RuntimeError):
    """An existing topic does not have the partition count the worker needs."""


def changelog_topic(settings: WorkerSettings) -> str:
    """Name Faust gives the state table's changelog."""
    return f"{settings.app_id}-{STATE_TABLE}-changelog"


async def retry_transient(op: Callable[[], Awaitable[T]], attempts: int = 40) -> T:
    """Retry what a fresh broker answers while settling (no coordinator / controller yet)."""
    for attempt in range(1, attempts + 1):
        try:
            return await op()
        except KafkaError as error:
            transient = isinstance(error, GroupCoordinatorNotAvailableError) or error.retriable
            if not transient or attempt == attempts:
                raise
            await asyncio.sleep(0.25)
    raise AssertionError("unreachable")


def admin_client(settings: WorkerSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        request_timeout_ms=15000,
        **settings.aiokafka_auth(),
    )


async def partition_counts(admin: AIOKafkaAdminClient, topics: list[str]) -> dict[str, int]:
    """Partition count of each existing topic among `topics`. Lists all topics first: a
    metadata request naming a missing topic would auto-create it (with 1 partition) on a
    broker with auto.create.topics.enable."""
    names = set(await retry_transient(admin.list_topics))
    existing = [name for name in topics if name in names]
    if not existing:
        return {}
    described: list[dict[str, Any]] = await retry_transient(lambda: admin.describe_topics(existing))
    return {
        item["topic"]: len(item["partitions"])
        for item in described
        if item.get("error_code", 0) == 0 and item.get("partitions")
    }


async def ensure_topics(settings: WorkerSettings) -> dict[str, int]:
    """Create missing input, dead-letter and alert topics; check partition counts."""
    admin = admin_client(settings)
    await retry_transient(admin.start)
    try:
        inputs = list(settings.topics.values())
        outputs = [settings.dead_letter_topic, settings.alert_topic]
        wanted = [*inputs, *outputs]
        existing = await partition_counts(admin, wanted)
        missing = [name for name in wanted if name not in existing]
        if missing:
            configs = {
                settings.dead_letter_topic: {
                    "max.message.bytes": str(settings.changelog_max_message_bytes)
                },
                settings.alert_topic: {"cleanup.policy": "compact"},  # the latest per alert
            }
            new = [
                NewTopic(
                    name,
                    num_partitions=settings.partitions,
                    replication_factor=settings.replication_factor,
                    topic_configs=configs.get(name, {}),
                )
                for name in missing
            ]

            async def create() -> None:
                response = await admin.create_topics(new)
                for name, code, *_ in response.topic_errors:
                    if code not in (0, TopicAlreadyExistsError.errno):
                        raise for_code(code)(f"creating {name}")

            await retry_transient(create)
            log.info("created topics %s with %d partitions", missing, settings.partitions)
        counts: dict[str, int] = {}
        for _ in range(40):  # metadata of just-created topics can lag a little
            counts = await partition_counts(admin, [*wanted, changelog_topic(settings)])
            if all(name in counts for name in wanted):
                break
            await asyncio.sleep(0.25)
        wrong = {
            name: n
            for name, n in counts.items()
            if name not in outputs and n != settings.partitions
        }
        if wrong:
            raise TopicLayoutError(
                f"topics with a partition count other than {settings.partitions}: {wrong}; "
                "every input topic and the state changelog need the same count"
            )
        absent = [name for name in wanted if name not in counts]
        if absent:
            raise TopicLayoutError(f"topics still missing after creation: {absent}")
        return counts
    finally:
        await admin.close()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = WorkerSettings()
    counts = asyncio.run(ensure_topics(settings))
    for name, n in sorted(counts.items()):
        print(f"{name}\t{n} partitions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
