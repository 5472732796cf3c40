"""Producers publish batch messages (contract 1.1, models/batch.py) on the real broker:
`import`, `generate --kafka` and `ingest-http` pack one account's events of one topic into
messages within the count and byte limits, and `models.batch.parse_message` gives back
exactly the events of the input, in each account's order."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from importer_kit import FIXTURES, TEST_KEY_TEXT, topic_env, worker_settings
from ingest_kit import running

from cli.main import main
from importers.events import encode
from importers.settings import PublishSettings
from importers.writer import KafkaWriter
from models import parse_event, parse_message
from models.batch import BATCH_HEADER, DEFAULT_BATCH_BYTES
from streams.settings import WorkerSettings, topic_for_type

pytestmark = pytest.mark.integration
Runs = dict[tuple[str, bytes | None], list[bytes]]


async def read_messages(
    settings: WorkerSettings, expected_events: int, timeout: float = 30.0
) -> list[Any]:
    """Every message (aiokafka records, headers included) of the input and dead-letter
    topics from the start, until `expected_events` events arrived and a second passed."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        topics = [*settings.topics.values(), settings.dead_letter_topic]
        assigned = [TopicPartition(t, p) for t in topics for p in range(settings.partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        got: list[Any] = []
        events = 0
        deadline = time.monotonic() + timeout
        quiet_until: float | None = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=250)
            for records in batch.values():
                got += records
                events += sum(len(parse_message(r.value, r.headers, r.key)) for r in records)
            if events >= expected_events:
                if batch or quiet_until is None:
                    quiet_until = time.monotonic() + 1.0
                elif time.monotonic() > quiet_until:
                    break
        return got
    finally:
        await consumer.stop()


def check_framing(messages: list[Any], max_events: int, max_bytes: int) -> Runs:
    """Every message well framed (a header exactly on those of 2+ events, within the limits,
    every item valid and of the key's account); the items' bytes by (topic, key)."""
    runs: Runs = defaultdict(list)
    for m in messages:
        results = parse_message(m.value, m.headers, m.key)
        assert all(r.error is None for r in results), [r.error for r in results if r.error]
        headers = dict(m.headers)
        if len(results) > 1:
            assert headers == {BATCH_HEADER: b"1"}
            assert len(results) <= max_events
            assert len(m.value) <= max_bytes
            assert [r.index for r in results] == list(range(len(results)))
        else:
            assert headers == {} and results[0].index is None  # a version-1 message
        for r in results:
            assert r.event is not None and m.key == r.event.account_id.encode()
            assert m.topic.endswith(topic_for_type(r.event.type))  # t<unique>.linkedin.<short>
            runs[(m.topic, m.key)].append(r.raw)
    return runs


def file_runs(path: Path, settings: WorkerSettings) -> Runs:
    """The lines of a JSON-lines file by (topic, key), in the file's order."""
    runs: Runs = defaultdict(list)
    for line in path.read_bytes().splitlines():
        event = parse_event(line)
        runs[(settings.topics[topic_for_type(event.type)], event.account_id.encode())].append(line)
    return runs


def setup(monkeypatch: pytest.MonkeyPatch, bootstrap: str, unique: str) -> WorkerSettings:
    settings = worker_settings(bootstrap, unique)
    for name, value in topic_env(settings).items():
        monkeypatch.setenv(name, value)
    return settings


def test_generate_publishes_batches_equal_to_its_file(
    kafka_bootstrap: str, unique_name: str, monkeypatch, capsys, tmp_path: Path
) -> None:
    settings = setup(monkeypatch, kafka_bootstrap, unique_name)
    argv = ["generate", "--accounts", "5", "--events", "6000", "--seed", "5"]
    out = tmp_path / "gen.jsonl"
    assert main([*argv, "--output", str(out)]) == 0
    assert main([*argv, "--kafka"]) == 0
    err = capsys.readouterr().err
    messages = asyncio.run(read_messages(settings, 6000))
    runs = check_framing(messages, 1000, DEFAULT_BATCH_BYTES)
    assert runs == file_runs(out, settings)  # every event, each account's order per topic
    assert sum(map(len, runs.values())) == 6000
    assert len(messages) < 6000 / 50  # batches, not one message per event
    assert f"{len(messages)} messages" in err


def test_batch_size_and_bytes_are_configurable(
    kafka_bootstrap: str, unique_name: str, monkeypatch, capsys, tmp_path: Path
) -> None:
    argv = ["generate", "--accounts", "2", "--events", "400", "--seed", "2"]
    out = tmp_path / "gen.jsonl"
    assert main([*argv, "--output", str(out)]) == 0
    cases = [
        ("size", ["--batch-size", "7"], {}, 7, DEFAULT_BATCH_BYTES),
        ("bytes", ["--batch-bytes", "2048"], {}, 1000, 2048),
        ("env", [], {"SOCIALKPI_PUBLISH_BATCH_EVENTS": "13"}, 13, DEFAULT_BATCH_BYTES),
        ("single", ["--batch-size", "1"], {}, 1, DEFAULT_BATCH_BYTES),
    ]
    for name, flags, env, max_events, max_bytes in cases:
        settings = setup(monkeypatch, kafka_bootstrap, f"{unique_name}{name}")
        for variable, value in env.items():
            monkeypatch.setenv(variable, value)
        assert main([*argv, "--kafka", *flags]) == 0, name
        for variable in env:
            monkeypatch.delenv(variable)
        messages = asyncio.run(read_messages(settings, 400))
        assert check_framing(messages, max_events, max_bytes) == file_runs(out, settings), name
        if max_events <= 20:  # the count limit is reached
            assert max(len(parse_message(m.value, m.headers, m.key)) for m in messages) == (
                max_events
            ), name
        if max_bytes < DEFAULT_BATCH_BYTES:  # the byte limit is reached (an event < 700 B)
            assert max(len(m.value) for m in messages) > max_bytes - 700, name
        if name == "single":  # --batch-size 1: contract version 1, one event per message
            assert len(messages) == 400 and all(not m.headers for m in messages)
    capsys.readouterr()


def test_a_bad_setting_is_one_line(monkeypatch, capsys, unique_name: str) -> None:
    monkeypatch.setenv("SOCIALKPI_KAFKA_BOOTSTRAP", "127.0.0.1:9")
    monkeypatch.setenv("SOCIALKPI_PUBLISH_BATCH_EVENTS", "20000")
    assert main(["generate", "--events", "10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("socialkpi: SOCIALKPI_PUBLISH_BATCH_EVENTS: ") and err.count("\n") == 1
    with pytest.raises(SystemExit):
        main(["generate", "--events", "10", "--batch-size", "0"])


def test_imports_publish_batches_equal_to_their_files(
    kafka_bootstrap: str, unique_name: str, monkeypatch, capsys, tmp_path: Path
) -> None:
    monkeypatch.setenv("SOCIALKPI_PSEUDONYM_KEY", TEST_KEY_TEXT)
    report = FIXTURES / "campaign_manager" / "campaign_performance_report_2026-11-04.csv"
    archive = FIXTURES / "linkedin_export" / "Complete_LinkedInDataExport_11-20-2026"
    imports = {
        "cm": ["campaign-manager", str(report), "--account", "page-demo"],
        "li": ["linkedin-export", str(archive), "--account", "rep-li"],
    }
    for name, argv in imports.items():
        settings = setup(monkeypatch, kafka_bootstrap, f"{unique_name}{name}")
        out = tmp_path / f"{name}.jsonl"
        assert main(["import", *argv, "--output", str(out)]) == 0
        assert main(["import", *argv, "--kafka", "--batch-size", "4"]) == 0
        err = capsys.readouterr().err
        expected = file_runs(out, settings)
        total = sum(map(len, expected.values()))
        messages = asyncio.run(read_messages(settings, total))
        assert check_framing(messages, 4, DEFAULT_BATCH_BYTES) == expected, name
        assert len(messages) == sum(-(-len(lines) // 4) for lines in expected.values())
        assert f"in {len(messages)} Kafka message" in err


async def test_ingest_http_batches_per_account_and_dead_letters_per_item(
    kafka_bootstrap: str, unique_name: str
) -> None:
    def view(account: str, n: int) -> dict[str, Any]:
        return {
            "event_id": f"{account}-{n}",
            "type": "post.interaction",
            "occurred_at": f"2026-11-20T10:{n:02d}:00Z",
            "account_id": account,
            "post_id": "p1",
            "kind": "view",
            "count": n + 1,
        }

    items = [view("rep-a", 0), view("rep-b", 0), view("rep-a", 1), view("rep-a", 2)]
    items += [dict(view("rep-b", 1), count=0), view("rep-b", 2)]  # item 4: count 0
    async with running(kafka_bootstrap, unique_name) as ingest:
        status, body = await ingest.post("/v1/events", items)
        assert status == 207 and (body["accepted"], body["rejected"]) == (5, 1)
        messages = await read_messages(ingest.settings, 6)
    dead = [m for m in messages if m.topic == ingest.settings.dead_letter_topic]
    events = [m for m in messages if m.topic != ingest.settings.dead_letter_topic]
    runs = check_framing(events, 1000, DEFAULT_BATCH_BYTES)
    topic = ingest.settings.topics["interactions"]
    assert {key: [json.loads(raw) for raw in lines] for (_t, key), lines in runs.items()} == {
        b"rep-a": [items[0], items[2], items[3]],
        b"rep-b": [items[1], items[5]],
    }
    assert {(m.topic, m.key, len(m.value.split(b"\n"))) for m in events} == {
        (topic, b"rep-a", 3),
        (topic, b"rep-b", 2),
    }
    [letter] = [json.loads(m.value) for m in dead]  # per item, as before batches
    assert (letter["index"], letter["kind"]) == (4, "invalid_field")


async def test_default_batches_stay_within_the_brokers_default_message_size(
    kafka_bootstrap: str, unique_name: str
) -> None:
    """~2.3 MB of one account's events: messages of up to ~900 KiB, accepted by topics with
    the broker's default max.message.bytes (1 MiB) and aiokafka's default request size."""
    settings = worker_settings(kafka_bootstrap, unique_name)
    note = "x" * 1000
    lines = [
        encode(
            {
                "event_id": f"e-{i}",
                "type": "post.interaction",
                "occurred_at": "2026-11-20T10:00:00Z",
                "account_id": "rep-big",
                "post_id": "p1",
                "kind": "view",
                "note": note,
            }
        )
        for i in range(2200)
    ]
    writer = KafkaWriter(settings, publish=PublishSettings())
    await writer.start()
    try:
        await writer.write(lines)
    finally:
        await writer.close()
    messages = await read_messages(settings, len(lines))
    runs = check_framing(messages, 1000, DEFAULT_BATCH_BYTES)
    assert runs == {(settings.topics["interactions"], b"rep-big"): [e.line for e in lines]}
    assert len(messages) == writer.messages == 3
    assert max(len(m.value) for m in messages) > 800 * 1024


async def test_a_message_the_broker_refuses_says_which_setting(
    kafka_bootstrap: str, unique_name: str
) -> None:
    from aiokafka.errors import MessageSizeTooLargeError

    settings = worker_settings(kafka_bootstrap, unique_name)
    big = {"type": "post.interaction", "occurred_at": "2026-11-20T10:00:00Z", "post_id": "p"}
    events = [
        encode({**big, "event_id": f"e-{i}", "account_id": "a", "kind": "view", "n": "x" * 900})
        for i in range(2000)
    ]
    publish = PublishSettings(batch_events=5000, batch_bytes=2 * 1024 * 1024)
    writer = KafkaWriter(settings, publish=publish)
    await writer.start()
    try:
        with pytest.raises(MessageSizeTooLargeError, match="SOCIALKPI_PUBLISH_BATCH_BYTES"):
            await writer.write(events)
    finally:
        await writer.close()
