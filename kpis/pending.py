"""Live holding: events ahead of the evaluation clock wait in their account's state.

A parked event lives in `AccountState.pending` (event_id -> (occurred_at, event JSON)), a
namespace like any other, so the worker's changelog keeps it across restarts. A heap of
(occurred_at, account, event_id) finds the due ones without scanning accounts; it is memory
only, rebuilt from the store by `reindex` (after the worker rebuilds its accounts).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from kpis.state import AccountState
from kpis.store import StateStore
from models.events import Event
from models.parse import parse_event
from models.rejects import EventRejected

Due = tuple[int, str, str]  # occurred_at, account_id, event_id


class Parking:
    """The index of every parked event; `count` is how many are parked."""

    def __init__(self) -> None:
        self._heap: list[Due] = []
        self.count = 0

    def park(self, st: AccountState, account_id: str, event: Event, t: int) -> None:
        event_id = event.event_id
        # exclude_none: every optional field defaults to None, so it re-parses to `event`.
        st.pending[event_id] = (t, event.model_dump_json(exclude_none=True))
        st.touch("pending", event_id)
        heapq.heappush(self._heap, (t, account_id, event_id))
        self.count += 1

    def next_time(self) -> int | None:
        """The earliest parked time (a lower bound after a store rebuild without reindex)."""
        return self._heap[0][0] if self._heap else None

    def take_due(self, store: StateStore, now: int) -> tuple[list[Event], int]:
        """Unpark every event at or before `now`, in time order: (events, unreadable ones).
        An index entry whose event is gone (released already, or its account moved to
        another worker) is skipped."""
        heap, events, unreadable = self._heap, [], 0
        while heap and heap[0][0] <= now:
            t, account_id, event_id = heapq.heappop(heap)
            try:
                st = store.get(account_id)
            except ValueError:  # the worker's store refuses an account it no longer owns
                continue
            entry = st.pending.get(event_id)
            if entry is None or entry[0] != t:
                continue
            del st.pending[event_id]
            st.touch("pending", event_id)
            self.count -= 1
            try:
                events.append(parse_event(entry[1]))
            except EventRejected:  # stored by an older contract; never applied, counted
                unreadable += 1
        return events, unreadable

    def reindex(self, accounts: Iterable[tuple[str, AccountState]]) -> None:
        """Rebuild the index from the accounts' `pending` namespaces."""
        self._heap = [
            (t, account_id, event_id)
            for account_id, st in accounts
            for event_id, (t, _json) in st.pending.items()
        ]
        heapq.heapify(self._heap)
        self.count = len(self._heap)
