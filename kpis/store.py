"""Where account state lives. The engine only asks for an account's state by id; a Faust
table-backed store (the live worker) can implement the same protocol by keeping the working
set in memory and writing each touched entity once per batch, using `AccountState.dirty`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Protocol

from kpis.state import AccountState


class StateStore(Protocol):
    def get(self, account_id: str) -> AccountState: ...

    def accounts(self) -> Iterator[tuple[str, AccountState]]: ...


def _tracked_state() -> AccountState:
    return AccountState(dirty=set())


class MemoryStore:
    """Plain dict of accounts: replay and unit tests."""

    get: Callable[[str], AccountState]

    def __init__(self, track_changes: bool = False) -> None:
        self._accounts: defaultdict[str, AccountState] = defaultdict(
            _tracked_state if track_changes else AccountState
        )
        self._track_changes = track_changes
        # `get` (once per event) is the dict's own lookup: C code, no Python-level call.
        self.get = self._accounts.__getitem__

    def accounts(self) -> Iterator[tuple[str, AccountState]]:
        yield from sorted(self._accounts.items())
