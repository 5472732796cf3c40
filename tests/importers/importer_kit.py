"""Helpers of the importer tests: fixture paths, zips built at test time, readable events,
KPI records through the real replay, and Kafka topics of a test's own."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from importers.derived_ids import conversation_id, invitation_id
from kpis.replay import replay
from kpis.timeutil import parse_ts
from models.batch import is_batch
from models.records import KpiRecord
from streams.settings import DEFAULT_TOPICS, WorkerSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# The pseudonym key of the importer tests (SOCIALKPI_PSEUDONYM_KEY: hex of bytes 0..31).
TEST_KEY = bytes(range(32))
TEST_KEY_TEXT = TEST_KEY.hex()


def zip_dir(directory: Path, target: Path) -> Path:
    """The directory's files as a zip at the archive's root, as LinkedIn ships it."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.iterdir()):
            archive.write(path, path.name)
    return target


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def readable(
    events: list[dict[str, Any]], account: str, members: list[str], key: bytes = TEST_KEY
) -> list[tuple]:
    """(type, occurred_at, payload) with derived ids shown as `inv:<member>` /
    `conv:<member>` (keyed with `key`); envelope fields and message ids (checked apart)
    left out."""
    names = {invitation_id(account, m, key=key): f"inv:{m}" for m in members}
    names |= {conversation_id(account, m, key=key): f"conv:{m}" for m in members}
    skip = {"event_id", "type", "occurred_at", "account_id", "source", "message_id"}
    out = []
    for event in events:
        payload = {k: names.get(v, v) if isinstance(v, str) else v for k, v in event.items()}
        out.append(
            (
                event["type"],
                event["occurred_at"],
                {k: v for k, v in payload.items() if k not in skip},
            )
        )
    return out


def records(*paths: Path, as_of: str | None = None) -> list[KpiRecord]:
    """KPI records of JSON-lines files, through `socialkpi replay`'s own function."""
    result, summary, _engine = replay(
        [str(p) for p in paths], as_of=parse_ts(as_of) if as_of else None, errors=io.StringIO()
    )
    assert summary.rejected == 0, summary.rejected_by_kind
    return result


def values(found: list[KpiRecord], *kpis: str) -> dict[tuple[str, str, str], object]:
    """{(kpi, period, dims as k=v text): value} of the named KPIs."""
    out: dict[tuple[str, str, str], object] = {}
    for record in found:
        if record.kpi in kpis:
            dims = " ".join(f"{k}={v}" for k, v in record.dims.items())
            out[(record.kpi, record.period, dims)] = record.to_dict()["value"]
    return out


def _items(message: Any) -> list[bytes]:
    """The values of the events a message carries: its items when it is a batch."""
    if not is_batch(message.headers):
        return [message.value]
    return [line for line in message.value.split(b"\n") if line and not line.isspace()]


def worker_settings(bootstrap: str, unique: str, **extra: Any) -> WorkerSettings:
    """The worker's settings with topics of this test only (2 partitions each)."""
    topics = {f"topic_{short}": f"t{unique}.{name}" for short, name in DEFAULT_TOPICS.items()}
    return WorkerSettings(
        kafka_bootstrap=bootstrap,
        dead_letter_topic=f"t{unique}.dead-letters",
        alert_topic=f"t{unique}.alerts",
        app_id=f"t{unique}-app",  # its (absent) changelog: no other partition count to match
        partitions=2,
        **topics,
        **extra,
    )


def topic_env(settings: WorkerSettings) -> dict[str, str]:
    """The same settings as SOCIALKPI_* variables, for commands that read the environment."""
    env = {f"SOCIALKPI_TOPIC_{short.upper()}": name for short, name in settings.topics.items()}
    env["SOCIALKPI_DEAD_LETTER_TOPIC"] = settings.dead_letter_topic
    env["SOCIALKPI_ALERT_TOPIC"] = settings.alert_topic
    env["SOCIALKPI_PARTITIONS"] = str(settings.partitions)
    env["SOCIALKPI_APP_ID"] = settings.app_id
    env["SOCIALKPI_KAFKA_BOOTSTRAP"] = settings.kafka_bootstrap
    return env


async def consume(
    bootstrap: str, topics: list[str], expected: int, timeout: float = 30.0, partitions: int = 2
) -> list[tuple[str, bytes | None, bytes]]:
    """(topic, key, value) of every event of `topics` (of `partitions` partitions each)
    from the start, until `expected` arrived and nothing more comes for a second (so extra
    events are seen too). A batch message (contract 1.1) gives one tuple per item."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for topic in topics for p in range(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        got: list[tuple[str, bytes | None, bytes]] = []
        deadline = time.monotonic() + timeout
        quiet_until = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=250)
            for messages in batch.values():
                got += [(m.topic, m.key, item) for m in messages for item in _items(m)]
            if len(got) >= expected:
                if batch or quiet_until is None:
                    quiet_until = time.monotonic() + 1.0
                elif time.monotonic() > quiet_until:
                    break
        return got
    finally:
        await consumer.stop()
