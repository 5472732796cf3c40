"""Consumer lag of the input partitions this worker owns: end offset minus committed offset.

Read on a timer (one ListOffsets request for all partitions), never per event. A partition
this group never committed counts from its earliest offset, so a fresh backlog shows up.
"""

from __future__ import annotations

from typing import Any

from faust.types import TP


async def input_lag(consumer: Any, topics: set[str]) -> dict[TP, int]:
    """Lag per assigned partition of `topics` (a Faust consumer; empty while unassigned)."""
    partitions = [tp for tp in consumer.assignment() if tp.topic in topics]
    if not partitions:
        return {}
    ends = await consumer.highwaters(*partitions)
    committed: dict[TP, int | None] = {tp: consumer._committed_offset.get(tp) for tp in partitions}
    unknown = [tp for tp, offset in committed.items() if offset is None]
    if unknown:
        earliest = await consumer.earliest_offsets(*unknown)
        committed.update({tp: earliest.get(tp, 0) for tp in unknown})
    return {tp: max(0, int(ends.get(tp, 0)) - int(committed[tp] or 0)) for tp in partitions}
