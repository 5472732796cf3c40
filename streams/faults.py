"""Test hooks for the kill-and-verify tests (fault injection, a test clock): never set in
production.

`SOCIALKPI_FAULT_DROP_FIRST_FETCH=1` makes the worker drop, once per input partition, the
first fetched batch that carries records of that partition, after the consumer handed it
over (so the consumer's position is already past it). That is what faust-streaming does to
a batch fetched in the last moments of a rebalance (see `streams/README.md`, "Commit
invariant"); injecting it makes the loss deterministic instead of a one-in-twenty race.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kpis.timeutil import to_us

log = logging.getLogger("streams")

DROP_FIRST_FETCH = "SOCIALKPI_FAULT_DROP_FIRST_FETCH"


def install(consumer: Any, input_topics: set[str]) -> None:
    """Wrap the consumer's fetch when the fault is switched on (idempotent)."""
    if os.environ.get(DROP_FIRST_FETCH) != "1" or getattr(consumer, "_socialkpi_fault", False):
        return
    consumer._socialkpi_fault = True
    fetch = consumer._getmany
    dropped: set[Any] = set()

    async def getmany_dropping_first(active_partitions: Any, timeout: float) -> Any:
        records = await fetch(active_partitions, timeout)
        for tp in [tp for tp in records if tp.topic in input_topics and tp not in dropped]:
            dropped.add(tp)
            batch = records.pop(tp)
            log.warning("fault: dropped a fetch of %s[%s] (%d records)", *tp, len(batch))
        return records

    consumer._getmany = getmany_dropping_first


CLOCK_FILE = "SOCIALKPI_FAULT_CLOCK_FILE"


def test_clock() -> Callable[[], int] | None:
    """The worker's wall clock read from a file (one RFC 3339 time) when `CLOCK_FILE` is
    set, so a test moves time in steps instead of sleeping; re-read when the file changes."""
    path = os.environ.get(CLOCK_FILE)
    if not path:
        return None
    cache: dict[str, Any] = {"mtime": None, "now": 0}

    def now_us() -> int:
        mtime = os.stat(path).st_mtime_ns
        if mtime != cache["mtime"]:
            with open(path) as handle:
                cache["now"] = to_us(datetime.fromisoformat(handle.read().strip()))
            cache["mtime"] = mtime
        return int(cache["now"])

    return now_us
