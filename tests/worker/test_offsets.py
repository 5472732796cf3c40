"""The offset ledger (`streams.offsets`): nothing is committed past a record never applied."""

from __future__ import annotations

from collections import namedtuple

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.offsets import Admit, OffsetLedger

TP = namedtuple("TP", "topic partition")
A = TP("in", 0)


def test_in_order_records_apply_and_become_committable_once_durable() -> None:
    ledger = OffsetLedger()
    ledger.assign({A: 10})
    assert [ledger.admit(A, o) for o in (10, 11, 12)] == [Admit.APPLY] * 3
    snapshot = ledger.applied()
    assert ledger.to_commit() == {}  # applied, but the state is not in the changelog yet
    ledger.durable(snapshot)
    assert ledger.to_commit() == {A: 13}
    ledger.committed({A: 13})
    assert ledger.to_commit() == {}


def test_a_lost_fetch_is_read_again_not_committed_across() -> None:
    ledger = OffsetLedger()
    ledger.assign({A: 100})
    assert ledger.admit(A, 100) is Admit.APPLY
    # 101..199 were fetched and never delivered: the next record seen is 200.
    assert ledger.admit(A, 200) is Admit.DISCARD
    assert ledger.take_probes() == {A: 101}
    ledger.located(A, 101, end=202)  # the broker has a record at 101
    assert ledger.take_seeks(now=0.0) == {A: 101}
    assert ledger.admit(A, 201) is Admit.DISCARD  # fetched before the seek
    ledger.durable(ledger.applied())
    assert ledger.to_commit() == {A: 101}  # never past the hole
    assert ledger.admit(A, 101) is Admit.APPLY  # after the seek
    assert ledger.gaps_lost == 1
    assert [ledger.admit(A, o) for o in range(102, 202)] == [Admit.APPLY] * 100
    ledger.durable(ledger.applied())
    assert ledger.to_commit() == {A: 202}


def test_offsets_without_records_are_crossed_after_one_seek() -> None:
    """Transaction markers or compaction: the seek back returns the same record again."""
    ledger = OffsetLedger()
    ledger.assign({A: 0})
    assert ledger.admit(A, 0) is Admit.APPLY
    assert ledger.admit(A, 2) is Admit.DISCARD  # offset 1 is a commit marker
    assert ledger.take_probes() == {A: 1}
    ledger.located(A, 2, end=3)  # the broker's first record at or after 1 is 2
    assert ledger.take_seeks(now=0.0) == {A: 2}
    assert ledger.admit(A, 2) is Admit.APPLY
    assert ledger.gaps_empty == 1
    assert ledger.applied() == {A: 3}


def test_re_delivered_records_are_skipped_and_unknown_partitions_discarded() -> None:
    ledger = OffsetLedger()
    ledger.assign({A: 5})
    assert ledger.admit(A, 5) is Admit.APPLY
    assert ledger.admit(A, 3) is Admit.SKIP
    assert ledger.admit(TP("in", 1), 0) is Admit.DISCARD
    ledger.revoke([A])
    assert ledger.admit(A, 6) is Admit.DISCARD
    assert ledger.to_commit() == {}


def test_a_lost_tail_is_found_by_watching_the_fetch_position() -> None:
    ledger = OffsetLedger()
    ledger.assign({A: 0})
    ledger.admit(A, 0)
    ledger.watch({A: 9})  # records 1..8 may still be in flight
    assert ledger.take_probes() == {}
    ledger.watch({A: 9})  # no progress since: they were lost
    assert ledger.take_probes() == {A: 1}
    ledger.located(A, 1, end=9)
    assert ledger.take_seeks(now=0.0) == {A: 1}
    assert ledger.admit(A, 1) is Admit.APPLY


def test_markers_at_the_tail_are_crossed_without_a_record() -> None:
    ledger = OffsetLedger()
    ledger.assign({A: 0})
    ledger.admit(A, 0)
    ledger.watch({A: 3})
    ledger.watch({A: 3})  # offsets 1 and 2 are transaction markers: nothing will come
    ledger.located(A, None, end=3)
    assert ledger.take_seeks(now=0.0) == {}
    ledger.durable(ledger.applied())
    assert ledger.to_commit() == {A: 3}


def test_a_resync_is_asked_again_only_after_a_pause() -> None:
    ledger = OffsetLedger()
    ledger.assign({A: 0})
    ledger.admit(A, 7)
    ledger.located(A, 0, end=8)
    assert ledger.take_seeks(now=10.0) == {A: 0}
    assert ledger.take_seeks(now=10.5) == {}
    assert ledger.take_seeks(now=11.0) == {A: 0}


@settings(max_examples=400, deadline=None)
@given(
    size=st.integers(1, 60),
    drops=st.lists(st.integers(0, 30), max_size=4),
    holes=st.sets(st.integers(0, 59), max_size=10),
    depth=st.integers(1, 3),
)
def test_committed_offsets_never_pass_a_record_not_applied(
    size: int, drops: list[int], holes: set[int], depth: int
) -> None:
    """A partition whose offsets in `holes` hold no record; a consumer that keeps `depth`
    fetched batches in flight (a seek does not recall them), loses the fetches numbered in
    `drops` (a seek's fetch too), answers probes as the broker would, and seeks when asked.
    Every record is applied exactly once, in order, and no commit passes a record not
    applied."""
    records = [o for o in range(size) if o not in holes]
    ledger = OffsetLedger()
    ledger.assign({A: 0})
    applied: list[int] = []
    inflight: list[list[int]] = []
    position, fetches, now = 0, 0, 0.0
    for _ in range(20 * size + 50):
        if len(applied) == len(records):
            break
        while len(inflight) < depth:
            batch = [o for o in records if o >= position][:5]
            if not batch:
                break
            position = batch[-1] + 1
            inflight.append([] if fetches in drops else batch)  # lost after the fetch
            fetches += 1
        delivered = inflight.pop(0) if inflight else []
        for offset in delivered:
            if ledger.admit(A, offset) is Admit.APPLY:
                applied.append(offset)
        ledger.durable(ledger.applied())
        commit = ledger.to_commit().get(A)
        if commit is not None:
            assert all(o in applied for o in records if o < commit)
            ledger.committed({A: commit})
        if not inflight:  # idle: the worker's timer compares positions with the ledger
            ledger.watch({A: position})
        for _tp, start in ledger.take_probes().items():
            ledger.located(A, next((o for o in records if o >= start), None), end=size)
        now += 2.0
        for _tp, offset in ledger.take_seeks(now).items():
            position = offset
    assert applied == records
