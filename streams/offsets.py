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
  `DISCARD` for a jump forward. Offsets alone cannot tell records lost on the way from
  offsets that hold no record (compaction, transaction markers), so the worker asks the
  broker (`take_probes` → `located`: the first record at or after the expected offset),
  then seeks there (`take_seeks`); until that very record arrives, everything else of the
  partition is discarded (fetched before the seek, or lost again: sought again);
- `watch(positions)` finds a loss at the tail of a partition, where no later record comes
  to reveal the jump;
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
    probing: bool = False  # a jump was seen: waiting for the broker to say what exists
    first: int | None = None  # the first record at or after `next` (known): sought, awaited
    sought_at: float = 0.0  # when the last seek to `first` was handed out (caller's clock)
    idle_next: int | None = None  # `next` when the consumer was last seen ahead of it

    @property
    def resyncing(self) -> bool:
        return self.probing or self.first is not None


class OffsetLedger:
    """Per input partition: the next offset to apply, what is durable, what is committed."""

    def __init__(self) -> None:
        self._cursors: dict[TopicPartition, _Cursor] = {}
        self._new_seeks: set[TopicPartition] = set()
        self.gaps_lost = 0  # jumps over records that were fetched and never delivered
        self.gaps_empty = 0  # jumps over offsets that hold no record

    def assign(self, positions: Mapping[TopicPartition, int]) -> None:
        """Start (or restart) partitions at the offsets they were positioned to."""
        for tp, start in positions.items():
            self._cursors[tp] = _Cursor(next=start, durable=start, committed=start)
            self._new_seeks.discard(tp)

    def revoke(self, tps: Iterable[TopicPartition]) -> None:
        for tp in tps:
            self._cursors.pop(tp, None)
            self._new_seeks.discard(tp)

    def owned(self) -> set[TopicPartition]:
        return set(self._cursors)

    def admit(self, tp: TopicPartition, offset: int) -> Admit:
        cursor = self._cursors.get(tp)
        if cursor is None:
            return Admit.DISCARD
        expected = cursor.next
        first = cursor.first
        if first is not None:
            if offset == first:
                cursor.first = None
                cursor.next = offset + 1
                return Admit.APPLY
            return Admit.SKIP if offset < first else Admit.DISCARD
        if offset == expected and not cursor.probing:
            cursor.next = offset + 1
            return Admit.APPLY
        if offset < expected:
            return Admit.SKIP
        cursor.probing = True
        return Admit.DISCARD

    def take_probes(self) -> dict[TopicPartition, int]:
        """Partitions that jumped: ask the broker for the first record at or after these."""
        return {tp: c.next for tp, c in self._cursors.items() if c.probing}

    def located(self, tp: TopicPartition, first: int | None, end: int) -> None:
        """The broker's answer to a probe: `first` is the offset of the first record at or
        after `next`, None when there is none below the partition's `end` offset (then the
        offsets up to `end` hold no record: transaction markers at the tail)."""
        cursor = self._cursors.get(tp)
        if cursor is None or not cursor.probing:
            return
        cursor.probing = False
        if first is None:
            cursor.next = max(cursor.next, end)
            return
        if first == cursor.next:
            self.gaps_lost += 1
            log.warning(
                "%s[%s]: records from %d were never delivered; read again", *_name(tp), first
            )
        else:
            self.gaps_empty += 1
            log.info("%s[%s]: offsets %d..%d hold no record", *_name(tp), cursor.next, first - 1)
        cursor.first = first
        self._new_seeks.add(tp)

    def take_seeks(self, now: float, again_after: float = 1.0) -> dict[TopicPartition, int]:
        """Seeks the worker must perform now: to each located first record, and again
        `again_after` seconds later while it has not arrived (a seek can race with records
        fetched before it, which Faust then drops as already read)."""
        seeks = {}
        for tp, cursor in self._cursors.items():
            if cursor.first is None:
                continue
            if tp in self._new_seeks or now - cursor.sought_at >= again_after:
                seeks[tp] = cursor.first
                cursor.sought_at = now
        self._new_seeks.clear()
        return seeks

    def watch(self, positions: Mapping[TopicPartition, int]) -> None:
        """Called now and then with the consumer's fetch positions. A position ahead of
        `next` means records are in flight, or were lost with no later record to reveal
        the jump (the tail of a partition): ahead twice in a row with no progress, the
        partition is probed."""
        for tp, position in positions.items():
            cursor = self._cursors.get(tp)
            if cursor is None:
                continue
            if position <= cursor.next:
                cursor.idle_next = None
                continue
            if cursor.idle_next == cursor.next and not cursor.resyncing:
                cursor.probing = True
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

    def committed_positions(self) -> dict[TopicPartition, int]:
        """The last committed offset of every owned partition (for the lag gauge)."""
        return {tp: cursor.committed for tp, cursor in self._cursors.items()}

    def resyncing(self) -> int:
        return sum(1 for cursor in self._cursors.values() if cursor.resyncing)


def _name(tp: TopicPartition) -> tuple[str, int]:
    return tp.topic, tp.partition
