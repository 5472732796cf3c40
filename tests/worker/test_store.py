"""TableBackedStore and codec without Kafka: a dict stands for the table and its changelog.

The changelog is a list of writes per partition; a crash keeps any prefix of it. Rebuilding
from any prefix and re-delivering the events of the unfinished batches must give exactly the
records of a replay: nothing lost, nothing counted twice.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import pytest

from kpis import Engine
from kpis.state import AccountState, AdGroup, AdReport, Invitation, Outcome, Post
from models import EventRejected, parse_event
from streams.codec import decode_key, decode_value, encode_key, encode_value
from streams.store import TableBackedStore

from .helpers import (
    LogItem,
    event_log,
    max_event_time,
    replay_records,
    write_log,
)

PARTITIONS = 3


class DictIO:
    """TableIO over a dict, logging every changelog write in order."""

    def __init__(self, atomic_bytes: int = 1 << 20) -> None:
        self.data: dict[bytes, bytes] = {}
        self.log: list[tuple[int, list[tuple[bytes, bytes | None]]]] = []  # groups, in order
        self.atomic_bytes = atomic_bytes

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def write_group(self, partition: int, writes: list[tuple[bytes, bytes | None]]) -> None:
        self.log.append((partition, list(writes)))
        for key, value in writes:
            if value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = value

    def records(self) -> int:
        return sum(len(group) for _, group in self.log)

    def set_local(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        return list(self.data.items())


def restore(
    log: list[tuple[int, list[tuple[bytes, bytes | None]]]], clock: int, atomic_bytes: int
) -> TableBackedStore:
    """A fresh store recovered from a changelog (as Faust's recovery would fill the table)."""
    io = DictIO(atomic_bytes)
    store = TableBackedStore(io, clock=lambda: clock, journal_part_bytes=2048)
    for partition, group in log:
        for key, value in group:
            store.note_changelog(key, partition)
            if value is None:
                io.data.pop(key, None)
            else:
                io.data[key] = value
    store.rebuild(set(range(PARTITIONS)))
    return store


def partition_of(account: bytes) -> int:
    return sum(account) % PARTITIONS


class Runner:
    """The worker's batch loop without Faust."""

    def __init__(self, store: TableBackedStore, as_of: int) -> None:
        self.store = store
        self.engine = Engine(store=store, processing_clock=store.processing_time, apply_until=as_of)

    def batch(self, items: list[LogItem]) -> None:
        self.store.begin_batch()
        for item in items:
            try:
                event = parse_event(item.line)
            except EventRejected:
                continue
            assert item.key is not None
            self.store.route(event.account_id, partition_of(item.key))
            self.engine.apply(event)
        self.store.flush()


def batches(items: list[LogItem], size: int) -> list[list[LogItem]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@pytest.fixture(scope="module")
def log_and_expected(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[LogItem], int, list[str]]:
    items = event_log(seed=7, accounts=4, events=3000, invalid_rate=0.01)
    as_of = max_event_time(items)
    path = write_log(Path(tmp_path_factory.mktemp("log")) / "events.jsonl", items)
    expected = [r.to_json() for r in replay_records(path, as_of)]
    return items, as_of, expected


def test_codec_roundtrip() -> None:
    values = [
        Invitation(sent_at=5, outbound=True, invitee="m\x1f1", accepted_at=None),
        Post(
            published_at=1,
            format="video",
            points={3: [1, 0, 0, 0, 2]},
            snapshots={4: [1, None, 2, None, 0]},
        ),
        AdGroup(
            counts=[1, 2, 3, 0, 0, 0, 0],
            cost=Decimal("18.400"),
            report=AdReport(3, "e", (1, None), Decimal("1E+2")),
        ),
        Outcome("lead", "ads", "p", None, "EUR"),
        (17, ("x", 0.1, 3.0, -0.0, 1e300)),
        {(1, "a"): [1, 2], (2, "b"): [3]},
        [Decimal("0.000001"), 10**20, "ü\n"],
    ]
    for value in values:
        back = decode_value(encode_value(value))
        assert back == value and type(back) is type(value)
        assert repr(back) == repr(value)
    for key in ["inv-1", 42, ("invitations_sent", 20000), (1, "c", "cr", "video", "EUR", 3)]:
        encoded = encode_key(key)
        assert b"\x1f" not in encoded
        assert decode_key(encoded) == key


def test_flush_then_rebuild_gives_the_same_records(log_and_expected) -> None:
    items, as_of, expected = log_and_expected
    io = DictIO()
    store = TableBackedStore(io, clock=lambda: 1_000_000, journal_part_bytes=2048)
    store.rebuild(set(range(PARTITIONS)))
    runner = Runner(store, as_of)
    for chunk in batches(items, 97):
        runner.batch(chunk)
    assert [r.to_json() for r in runner.engine.evaluate(as_of)] == expected
    restored = restore(io.log, clock=2_000_000, atomic_bytes=io.atomic_bytes)
    assert [r.to_json() for r in Engine(store=restored).evaluate(as_of)] == expected
    # Duplicate-id memory survives: re-delivering everything changes nothing.
    again = Runner(restored, as_of)
    for chunk in batches(items, 500):
        again.batch(chunk)
    assert again.engine.stats["applied"] == 0
    assert [r.to_json() for r in again.engine.evaluate(as_of)] == expected


@pytest.mark.parametrize("atomic_bytes", [1 << 20, 3000], ids=["atomic", "journal"])
def test_crash_at_any_point_then_redelivery(log_and_expected, atomic_bytes: int) -> None:
    """Cut the changelog between any two groups (a group within `atomic_bytes` is one Kafka
    record batch, appended whole or not at all; larger flushes go through the journal), then
    re-deliver from the start of the first incomplete batch: the worker acks a batch only
    after its writes are acknowledged, so Kafka re-delivers such a batch."""
    items, as_of, expected = log_and_expected
    chunks = batches(items, 61)
    io = DictIO(atomic_bytes)
    store = TableBackedStore(io, clock=lambda: 1_000_000, journal_part_bytes=2048)
    store.rebuild(set(range(PARTITIONS)))
    runner = Runner(store, as_of)
    starts: list[int] = []  # log length before each batch
    for chunk in chunks:
        starts.append(len(io.log))
        runner.batch(chunk)
    rng = random.Random(3)
    cuts = sorted(rng.sample(range(1, len(io.log)), min(25, len(io.log) - 1)))
    journals = sum(1 for _, group in io.log if group[0][0].startswith(b"\x1fjournal"))
    assert (journals > 0) == (atomic_bytes < 1 << 20)
    for cut in cuts:
        restored = restore(io.log[:cut], clock=5_000_000, atomic_bytes=atomic_bytes)
        # The first batch whose writes are not all in the prefix: re-deliver from there on.
        first = max(i for i, start in enumerate(starts) if start < cut)
        runner2 = Runner(restored, as_of)
        for chunk in chunks[first:]:
            runner2.batch(chunk)
        got = [r.to_json() for r in runner2.engine.evaluate(as_of)]
        assert got == expected, f"cut at {cut} (batch {first})"
        # The recovered worker's own writes (with the journal repairs it deferred) complete
        # the changelog: a second recovery from it gives the same records.
        assert isinstance(restored.io, DictIO)
        again = restore(io.log[:cut] + restored.io.log, clock=6_000_000, atomic_bytes=atomic_bytes)
        got = [r.to_json() for r in Engine(store=again).evaluate(as_of)]
        assert got == expected, f"second recovery after cut at {cut}"


def test_prune_removes_seen_chunks() -> None:
    io = DictIO()
    now = [1_000_000]
    store = TableBackedStore(io, clock=lambda: now[0])
    store.rebuild({0})
    engine = Engine(store=store, processing_clock=store.processing_time)
    line = (
        b'{"event_id":"e1","type":"invitation.sent","occurred_at":"2026-03-02T10:00:00Z",'
        b'"account_id":"a","invitation_id":"i1","invitee_id":"m1","direction":"outbound"}'
    )
    store.begin_batch()
    store.route("a", 0)
    engine.apply(parse_event(line))
    store.flush()
    assert any(b"\x1fseen\x1f" in k for k in io.data)
    now[0] += 9 * 86_400 * 1_000_000
    store.begin_batch()
    engine.prune()
    store.flush(everything=True)
    assert not any(b"\x1fseen\x1f" in k for k in io.data)
    restored = restore(io.log, clock=now[0], atomic_bytes=io.atomic_bytes)
    st: AccountState = restored.get("a")
    assert st.seen == {} and "i1" in st.invitations
