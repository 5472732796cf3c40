"""Consumer lag of the input partitions this worker owns: end offset minus committed offset.

Read on a timer (one ListOffsets request for all partitions), never per event. A partition
this group never committed counts from where the worker positioned it (its earliest
offset), so a fresh backlog shows up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faust.types import TP


async def input_lag(consumer: Any, committed: Mapping[TP, int]) -> dict[TP, int]:
    """Lag per owned input partition: `committed` is the offset ledger's (the worker commits
    input offsets itself; Faust's own view of them is empty)."""
    partitions = list(committed)
    if not partitions:
        return {}
    ends = await consumer.highwaters(*partitions)
    return {tp: max(0, int(ends.get(tp, 0)) - committed[tp]) for tp in partitions}
