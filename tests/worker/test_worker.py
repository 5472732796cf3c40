"""The live worker (`python -m streams` subprocesses) on the real broker and Redis.

Each test gets its own topics, app id (consumer group, changelog) and Redis prefix. The
records the worker publishes to Redis must equal `cli.replay` of the same event log, record
for record, whatever the arrival order, duplicates, bad input, crashes or worker count.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import get_args

import pytest
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families

from kpis.timeutil import format_ts, parse_ts
from models.events import EVENT_MODELS
from sinks.redis.keys import KeySchema

from .harness import (
    WorkerProcess,
    WorkerSetup,
    lag,
    produce,
    read_topic,
    wait_drained,
    wait_lag_below,
    wait_records,
    worker_status,
)
from .helpers import (
    LogItem,
    by_account,
    event_log,
    is_invalid,
    max_event_time,
    replay_records,
    write_log,
)

pytestmark = pytest.mark.integration

DRAIN_TIMEOUT_S = 90.0
RECORDS_TIMEOUT_S = 45.0


def expected_records(tmp_path: Path, items: list[LogItem], as_of: int) -> dict[str, dict[str, str]]:
    path = write_log(tmp_path / "events.jsonl", items)
    return by_account(replay_records(path, as_of))


async def test_worker_equals_replay_with_dead_letters(
    setup: WorkerSetup,
    workers: list[WorkerProcess],
    redis_client: aioredis.Redis,
    tmp_path: Path,
    promtool: str,
) -> None:
    """A generated log (duplicates, late events, invalid lines) through one worker."""
    items = event_log(seed=3, accounts=5, events=4000, invalid_rate=0.01)
    as_of = max_event_time(items)
    expected = expected_records(tmp_path, items, as_of)
    setup.as_of = format_ts(as_of)
    await produce(setup, items)
    workers.append(WorkerProcess(setup, "worker-0"))
    await wait_drained(setup, workers, DRAIN_TIMEOUT_S)
    await wait_records(redis_client, setup.redis_prefix, expected, workers, RECORDS_TIMEOUT_S)

    # Every invalid line went to the dead-letter topic, and only those.
    rejected = sum(1 for item in items if is_invalid(item.line))
    assert rejected > 0
    letters = await read_topic(setup.bootstrap, setup.dead_letter_topic, rejected, 20)
    assert len(letters) == rejected
    (status,) = await worker_status(redis_client, setup.redis_prefix)
    assert sum(status["dead_letters"].values()) == rejected
    assert status["outcomes"]["duplicate"] > 0  # the log re-sends some events

    # /metrics over HTTP: health counters agree with the status, KPI gauges with the records.
    text = await scrape(status["metrics_port"])
    samples = parse_samples(text)
    processed = samples_of(samples, "socialkpi_events_processed_total")
    assert sum(processed.values()) == len(items) - rejected
    assert {dict(labels)["type"] for labels in processed} <= EVENT_TYPES
    dead = samples_of(samples, "socialkpi_dead_letters_total")
    assert sum(dead.values()) == rejected
    assert {dict(k)["reason"]: v for k, v in dead.items()} == status["dead_letters"]
    duplicates = samples_of(samples, "socialkpi_duplicate_events_total")
    assert sum(duplicates.values()) == status["outcomes"]["duplicate"]
    assert samples_of(samples, "socialkpi_evaluation_duration_seconds_count")[()] >= 1
    # The lag is read every second: wait (on the condition, up to a generous deadline) for
    # a read after the drain, however loaded the machine is.
    lags: dict[Labels, float] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lags = samples_of(
            parse_samples(await scrape(status["metrics_port"])), "socialkpi_consumer_lag"
        )
        if len(lags) == setup.partitions * len(setup.input_topics) and set(lags.values()) == {0.0}:
            break
        await asyncio.sleep(0.5)
    assert len(lags) == setup.partitions * len(setup.input_topics)
    assert set(lags.values()) == {0.0}, {k: v for k, v in lags.items() if v}
    ratios = samples_of(samples, "linkedin_invitation_acceptance_ratio")
    for account, records in expected.items():
        key = (("account_id", account), ("period", "rolling_96h"))
        record = records.get("invitation_acceptance_rate|rolling_96h|{}")
        if record is None:  # zero sent in the window: no record, no sample
            assert key not in ratios
        else:
            assert ratios[key] == pytest.approx(json.loads(record)["value"])
    assert any(key[0][1] in expected for key in ratios)
    assert_no_member_ids("metrics", text)
    linted = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert_no_member_ids("worker log", workers[0].log_path.read_text())

    # Member lists: pseudonyms (and encrypted ids), never ids in clear; a wiped Redis is
    # refilled by the running worker, lists included.
    keys = KeySchema(setup.redis_prefix)
    await wait_lists(redis_client, keys, expected)
    await redis_client.unlink(*[k async for k in redis_client.scan_iter(f"{setup.redis_prefix}*")])
    await wait_records(redis_client, setup.redis_prefix, expected, workers, RECORDS_TIMEOUT_S)
    await wait_lists(redis_client, keys, expected)
    assert_no_member_ids("Redis", await redis_text(redis_client, setup.redis_prefix))


EVENT_TYPES = {
    value for model in EVENT_MODELS for value in get_args(model.model_fields["type"].annotation)
}
MEMBER_ID = re.compile(r"mbr-[0-9a-f]{8}")  # the generator's member ids


async def redis_text(client: aioredis.Redis, prefix: str) -> str:
    """Every key and value under the prefix, as text (hash fields, strings, zset members)."""
    parts: list[str] = []
    async for key in client.scan_iter(f"{prefix}*"):
        kind = await client.type(key)
        if kind == "hash":
            value: object = await client.hgetall(key)
        elif kind == "zset":
            value = await client.zrange(key, 0, -1)
        else:
            value = await client.get(key)
        parts.append(f"{key} {value}")
    assert parts
    return "\n".join(parts)


def assert_no_member_ids(where: str, text: str) -> None:
    found = MEMBER_ID.findall(text)
    assert not found, f"member ids in clear in the {where}: {found[:3]}"


async def scrape(port: int) -> str:
    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            return str(response.read().decode())

    return await asyncio.to_thread(get)


Labels = tuple[tuple[str, str], ...]


def parse_samples(text: str) -> dict[str, dict[Labels, float]]:
    out: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            out.setdefault(sample.name, {})[labels] = sample.value
    return out


def samples_of(samples: dict[str, dict[Labels, float]], name: str) -> dict[Labels, float]:
    assert name in samples, f"{name} not exported"
    return samples[name]


async def wait_lists(
    client: aioredis.Redis, keys: KeySchema, expected: dict[str, dict[str, str]]
) -> None:
    """Every account with warm prospects has its ranked list, as pseudonyms."""
    deadline = time.perf_counter() + RECORDS_TIMEOUT_S
    for account, records in expected.items():
        count = json.loads(records.get("warm_prospects|total|{}", '{"value": 0}'))["value"]
        while True:
            raw = await client.get(keys.warm_prospects(account))
            if raw is not None or count == 0 or time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.5)
        if count:
            assert raw is not None, f"no warm prospects list for {account}"
            entries = json.loads(raw)
            assert len(entries) == count
            assert all(e["pseudonym"].startswith("m_") and e["encrypted_id"] for e in entries)


def _event(n: int, account: str, minute: int, **fields: object) -> dict[str, object]:
    return {
        "event_id": f"ev-{n}",
        "type": "invitation.sent",
        "occurred_at": f"2026-11-20T10:{minute:02d}:00Z",
        "account_id": account,
        "invitation_id": f"inv-{n}",
        "invitee_id": f"m-{n}",
        "direction": "outbound",
        **fields,
    }


def _line(event: dict[str, object]) -> bytes:
    return json.dumps(event).encode()


async def test_bad_input_of_each_kind_goes_to_dead_letters(
    setup: WorkerSetup,
    workers: list[WorkerProcess],
    redis_client: aioredis.Redis,
    tmp_path: Path,
) -> None:
    """Each kind of bad input is dead-lettered with its reason; valid events around it (one of
    them sharing its id with a bad one) are counted exactly once."""
    account = "rep-dlq"
    key = account.encode()
    valid = [_event(n, account, n) for n in range(1, 8)]
    bad: list[tuple[str, bytes | None, bytes | None]] = [  # (kind, key, value)
        ("malformed_json", key, b'{"event_id": "ev-1", "type": '),
        ("malformed_json", key, b"[1, 2, 3]"),
        ("unknown_type", key, _line({**_event(1, account, 1), "type": "post.deleted"})),
        (
            "missing_field",
            key,
            _line({k: v for k, v in _event(2, account, 2).items() if k != "invitee_id"}),
        ),
        ("invalid_field", key, _line({**_event(3, account, 3), "occurred_at": 1_772_409_600})),
        (
            "invalid_field",
            key,
            _line({**_event(4, account, 4), "occurred_at": "2026-11-20T10:04:00"}),
        ),
        ("invalid_field", key, _line({**_event(5, account, 5), "schema_version": 2})),
        ("invalid_field", key, _line({**_event(6, account, 6), "direction": "sideways"})),
        ("oversize", key, _line({**_event(7, account, 7), "padding": "x" * 70_000})),
        ("key_mismatch", b"someone-else", _line(_event(8, account, 8))),
        ("key_mismatch", None, _line(_event(9, account, 9))),
        ("malformed_json", key, None),
        (
            "implausible_time",
            key,
            _line({**_event(10, account, 10), "occurred_at": "1999-12-31T23:59:59Z"}),
        ),
        (
            "wrong_topic",  # an ad event on the invitations topic: valid, but not counted there
            key,
            _line(
                {
                    "event_id": "ad-on-invitations",
                    "type": "ad.click",
                    "occurred_at": "2026-11-20T10:00:00Z",
                    "account_id": account,
                    "campaign_id": "c-1",
                    "creative_id": "cr-1",
                    "format": "text",
                }
            ),
        ),
    ]
    items: list[tuple[bytes | None, bytes | None]] = []
    for index, event in enumerate(valid):
        items.append((key, _line(event)))
        items.append(bad[2 * index][1:])
        items.append(bad[2 * index + 1][1:])
    items.append((key, _line(valid[0])))  # a re-sent duplicate
    setup.as_of = "2026-11-20T12:00:00Z"

    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=setup.bootstrap, max_request_size=1 << 20)
    positions: dict[tuple[int, int], tuple[bytes | None, bytes | None]] = {}
    await producer.start()
    try:
        for item_key, value in items:
            meta = await producer.send_and_wait(setup.topic("invitations"), value, key=item_key)
            positions[(meta.partition, meta.offset)] = (item_key, value)
    finally:
        await producer.stop()
    workers.append(WorkerProcess(setup, "worker-0"))
    await wait_drained(setup, workers, DRAIN_TIMEOUT_S)

    expected_items = [LogItem("invitations", key, _line(e)) for e in valid]
    expected = expected_records(tmp_path, expected_items, parse_ts(setup.as_of))
    records = await wait_records(
        redis_client, setup.redis_prefix, expected, workers, RECORDS_TIMEOUT_S
    )
    sent = json.loads(records[account]["invitations_sent|day:2026-11-20|{}"])
    assert sent["value"] == len(valid)  # each valid event once, duplicates and bad ones not

    letters = await read_topic(setup.bootstrap, setup.dead_letter_topic, len(bad), 20)
    assert len(letters) == len(bad)
    documents = [json.loads(m.value) for m in letters]
    for document in documents:
        item_key, value = positions[(document["partition"], document["offset"])]
        assert document["topic"] == setup.topic("invitations")
        assert base64.b64decode(document["original"]) == (value or b"")
        assert document["key"] == (
            None if item_key is None else base64.b64encode(item_key).decode()
        )
        assert document["reason"] and document["time"].endswith("Z")
    kinds = sorted(d["kind"] for d in documents)
    assert kinds == sorted(kind for kind, _, _ in bad)
    reasons = {d["kind"]: d["reason"] for d in documents}
    assert reasons["unknown_type"] == "type: unknown event type 'post.deleted'"
    assert reasons["oversize"].startswith("oversize:")
    assert reasons["key_mismatch"].startswith("key:")
    assert reasons["wrong_topic"].startswith("type: ad.click does not belong to topic")
    assert reasons["implausible_time"].startswith("occurred_at:")
    (status,) = await worker_status(redis_client, setup.redis_prefix)
    assert status["outcomes"] == {"applied": len(valid), "duplicate": 1}
    assert sum(status["dead_letters"].values()) == len(bad)


async def test_sigkill_mid_stream_then_restart_recovers_from_changelog(
    setup: WorkerSetup,
    workers: list[WorkerProcess],
    redis_client: aioredis.Redis,
    tmp_path: Path,
) -> None:
    """SIGKILL while processing; a new worker recovers the state from the changelog (Redis
    is wiped first, so nothing can come from there) and ends with exactly replay's records."""
    items = event_log(seed=5, accounts=6, events=12_000)
    as_of = max_event_time(items)
    expected = expected_records(tmp_path, items, as_of)
    setup.as_of = format_ts(as_of)
    setup.extra["BATCH_SIZE"] = "200"
    half = len(items) // 2
    await produce(setup, items[:half])
    first = WorkerProcess(setup, "worker-0")
    workers.append(first)
    # Kill once part (not all) of the first half is committed: mid-stream.
    await wait_lag_below(setup, workers, half * 0.8)
    await produce(setup, items[half:])  # arrives while the worker runs
    first.kill()
    assert await lag(setup) > 0, "killed after the end: not mid-stream"
    keys = [k async for k in redis_client.scan_iter(match=f"{setup.redis_prefix}*")]
    if keys:
        await redis_client.unlink(*keys)

    second = WorkerProcess(setup, "worker-1")
    workers.append(second)
    await wait_drained(setup, workers[1:], DRAIN_TIMEOUT_S)
    await wait_records(redis_client, setup.redis_prefix, expected, workers[1:], RECORDS_TIMEOUT_S)
    log = second.log_path.read_text()
    rebuilt = [line for line in log.splitlines() if "state rebuilt" in line]
    assert rebuilt and "'accounts': 0" not in rebuilt[-1], rebuilt


async def test_two_workers_share_partitions(
    setup: WorkerSetup,
    workers: list[WorkerProcess],
    redis_client: aioredis.Redis,
    tmp_path: Path,
) -> None:
    """Two processes in one group over 4 partitions: same records as replay. The second
    starts while the first is busy, so two partitions move with their state."""
    items = event_log(seed=9, accounts=8, events=8000)
    as_of = max_event_time(items)
    expected = expected_records(tmp_path, items, as_of)
    setup.as_of = format_ts(as_of)
    setup.extra["BATCH_SIZE"] = "200"
    await produce(setup, items)
    workers.append(WorkerProcess(setup, "worker-0"))
    await wait_lag_below(setup, workers, len(items) * 0.7)
    workers.append(WorkerProcess(setup, "worker-1"))
    await wait_drained(setup, workers, DRAIN_TIMEOUT_S)
    owned = await wait_split(redis_client, setup.redis_prefix, workers, 2, {0, 1, 2, 3})
    # Delete the records' hashes (the worker's view marker stays): each worker must publish
    # its own accounts again (whole, within SOCIALKPI_VIEW_REFRESH_S), the second one from
    # the state it recovered from the changelog.
    keys = [k async for k in redis_client.scan_iter(match=f"{setup.redis_prefix}*:kpis")]
    await redis_client.unlink(*keys)
    await wait_records(redis_client, setup.redis_prefix, expected, workers, RECORDS_TIMEOUT_S)
    rebuilt = [
        line
        for worker in workers
        for line in worker.log_path.read_text().splitlines()
        if "state rebuilt" in line
    ]
    moved = [line for line in rebuilt if "'accounts': 0," not in line]
    assert moved, "no partition moved with its state:\n" + "\n".join(rebuilt)
    assert all(owned), owned


async def wait_split(
    client: aioredis.Redis,
    prefix: str,
    workers: list[WorkerProcess],
    count: int,
    partitions: set[int],
    timeout: float = 60.0,
) -> list[set[int]]:
    """Wait until `count` workers report disjoint partition sets covering `partitions`."""
    deadline = time.perf_counter() + timeout
    owned: list[set[int]] = []
    while time.perf_counter() < deadline:
        for worker in workers:
            assert worker.alive(), worker.tail()
        statuses = await worker_status(client, prefix)
        pids = {str(w.proc.pid) for w in workers}
        owned = [
            set(s["partitions"])
            for s in statuses
            if s["partitions"] and s["worker_id"].rsplit(":", 1)[1] in pids
        ]
        union: set[int] = set().union(*owned) if owned else set()
        if len(owned) == count and union == partitions and sum(map(len, owned)) == len(union):
            return owned
        await asyncio.sleep(0.5)
    tails = "\n---\n".join(w.tail() for w in workers)
    raise AssertionError(f"partitions not split across {count} workers: {owned}\n{tails}")
