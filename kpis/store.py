"""Where account state lives. The engine only asks for an account's state by id; a Faust
table-backed store (the live worker) can implement the same protocol by keeping the working
set in memory and writing each touched entity once per batch, using `AccountState.dirty`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from kpis.state import AccountState


class StateStore(Protocol):
    def get(self, account_id: str) -> AccountState: ...

    def accounts(self) -> Iterator[tuple[str, AccountState]]: ...


class MemoryStore:
    """Plain dict of accounts: replay and unit tests."""

    def __init__(self, track_changes: bool = False) -> None:
        self._accounts: dict[str, AccountState] = {}
        self._track_changes = track_changes

    def get(self, account_id: str) -> AccountState:
        st = self._accounts.get(account_id)
        if st is None:
            st = self._accounts[account_id] = AccountState()
            if self._track_changes:
                st.dirty = set()
        return st

    def accounts(self) -> Iterator[tuple[str, AccountState]]:
        yield from sorted(self._accounts.items())
