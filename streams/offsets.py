"""`OffsetLedger`: which input offsets the worker may commit, decided by the worker, not Faust.

The commit invariant: an input offset `N` of a partition is committed only when every record
below `N` on that partition was applied (or dead-lettered) and the resulting state was
acknowledged by the changelog. faust-streaming 0.15.3 breaks it: when a fetched batch never
reaches the agent (cleared from the stream queues at the end of a rebalance, dropped by a
flow stop), its next fetch starts further on, Faust records the jump as a "gap" and commits
across it (`Consumer._add_gap`, `_new_offset`). So the input topics are consumed with Faust's
acks off (Faust commits none of their offsets) and this ledger does the bookkeeping:

- `assign(tp, start)` once the partition is positioned (committed offset, else earliest);
- `admit(tp, offset)` for every message, in the order the agent sees them: `APPLY` for the
  next expected offset; `SKIP` for an offset already applied (a re-delivery after a seek);
  `DISCARD` for a jump forward: the records in between were fetched and lost, so the ledger
  asks for a seek back (`take_seeks`) and discards what still comes from before the seek. The
  first record at or below the jump ends the resync: the partition really holds nothing
  between the expected offset and that record (compaction, transaction markers);
- `applied()` snapshots the positions after a batch; `durable(snapshot)` marks them
  committable once that batch's state is in the changelog; `to_commit()` yields what moved.

Pure bookkeeping, no I/O: the worker performs the seeks and commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

log = logging.getLogger("streams")

TopicPartition = Any  # Faust's TP (a named tuple): hashable, `.topic`, `.partition`


class Admit(Enum):
    APPLY = "apply"  # the next record of the partition: process it
    SKIP = "skip"  # already applied earlier (re-delivered after a seek)
    DISCARD = "discard"  # not positioned, or fetched before a pending seek back


@dataclass(slots=True)
class _Cursor:
    next: int  # the offset of the next record to apply
    durable: int  # every record below is applied and its state in the changelog
    committed: int  # what was last committed
    resync_jump: int | None = None  # offset seen past `next`, while a seek back is pending
    sought_at: float = 0.0  # when the last seek back was handed out (the caller's clock)
    idle_next: int | None = None  # `next` when the consumer was last seen ahead of it
    # A resync started by `watch`: records fetched before its seek lie below the jump too,
    # so only `next` itself ends it; a later record starts an ordinary resync from there.
    resync_exact: bool = False


class OffsetLedger:
    """Per input partition: the next offset to apply, what is durable, what is committed."""

    def __init__(self) -> None:
        self._cursors: dict[TopicPartition, _Cursor] = {}
        self._seeks: dict[TopicPartition, int] = {}
        self.gaps_lost = 0  # jumps over records that were fetched and never delivered
        self.gaps_empty = 0  # jumps over offsets that hold no record

    def assign(self, positions: Mapping[TopicPartition, int]) -> None:
        """Start (or restart) partitions at the offsets they were positioned to."""
        for tp, start in positions.items():
            self._cursors[tp] = _Cursor(next=start, durable=start, committed=start)
            self._seeks.pop(tp, None)

    def revoke(self, tps: Iterable[TopicPartition]) -> None:
        for tp in tps:
            self._cursors.pop(tp, None)
            self._seeks.pop(tp, None)

    def owned(self) -> set[TopicPartition]:
        return set(self._cursors)

    def admit(self, tp: TopicPartition, offset: int) -> Admit:
        cursor = self._cursors.get(tp)
        if cursor is None:
            return Admit.DISCARD
        expected = cursor.next
        jump = cursor.resync_jump
        if jump is not None:
            if offset > jump or offset < expected:
                return Admit.DISCARD if offset > jump else Admit.SKIP
            if cursor.resync_exact and offset > expected:
                cursor.resync_exact = False
                cursor.resync_jump = offset
                self._seeks[tp] = expected
                return Admit.DISCARD
            cursor.resync_exact = False
            # The first record after the seek back: nothing exists in [expected, offset).
            cursor.resync_jump = None
            if offset > expected:
                self.gaps_empty += 1
                log.info("%s[%s]: offsets %d..%d hold no record", *_name(tp), expected, offset - 1)
            else:
                self.gaps_lost += 1
                log.warning(
                    "%s[%s]: records %d..%d were fetched but never delivered; read again",
                    *_name(tp),
                    expected,
                    jump - 1,
                )
            cursor.next = offset + 1
            return Admit.APPLY
        if offset == expected:
            cursor.next = offset + 1
            return Admit.APPLY
        if offset < expected:
            return Admit.SKIP
        cursor.resync_jump = offset
        self._seeks[tp] = expected
        return Admit.DISCARD

    def take_seeks(self, now: float, again_after: float = 1.0) -> dict[TopicPartition, int]:
        """Seeks back the worker must perform now. A partition still resyncing `again_after`
        seconds after its last seek is asked again: a seek can race with records fetched
        before it, which Faust then drops as already read."""
        for tp, cursor in self._cursors.items():
            if cursor.resync_jump is not None and now - cursor.sought_at >= again_after:
                self._seeks.setdefault(tp, cursor.next)
        seeks, self._seeks = self._seeks, {}
        for tp in seeks:
            self._cursors[tp].sought_at = now
        return seeks

    def watch(self, positions: Mapping[TopicPartition, int]) -> None:
        """Called now and then with the consumer's fetch positions. A position ahead of
        `next` means records are in flight, or were lost with no later record to reveal
        the jump (the tail of a partition): ahead twice in a row with no progress, the
        partition is sought back."""
        for tp, position in positions.items():
            cursor = self._cursors.get(tp)
            if cursor is None or position <= cursor.next:
                if cursor is not None:
                    cursor.idle_next = None
                continue
            if cursor.idle_next == cursor.next and cursor.resync_jump is None:
                cursor.resync_jump = position
                cursor.resync_exact = True
                self._seeks[tp] = cursor.next
            cursor.idle_next = cursor.next

    def applied(self) -> dict[TopicPartition, int]:
        """The positions now: durable once the state written so far is acknowledged."""
        return {tp: cursor.next for tp, cursor in self._cursors.items()}

    def durable(self, snapshot: Mapping[TopicPartition, int]) -> None:
        for tp, offset in snapshot.items():
            cursor = self._cursors.get(tp)
            if cursor is not None and offset > cursor.durable:
                cursor.durable = offset

    def to_commit(self) -> dict[TopicPartition, int]:
        """Durable offsets not committed yet; call `committed()` once the commit succeeded."""
        return {
            tp: cursor.durable
            for tp, cursor in self._cursors.items()
            if cursor.durable > cursor.committed
        }

    def committed(self, offsets: Mapping[TopicPartition, int]) -> None:
        for tp, offset in offsets.items():
            cursor = self._cursors.get(tp)
            if cursor is not None and offset > cursor.committed:
                cursor.committed = offset

    def resyncing(self) -> int:
        return sum(1 for cursor in self._cursors.values() if cursor.resync_jump is not None)


def _name(tp: TopicPartition) -> tuple[str, int]:
    return tp.topic, tp.partition
