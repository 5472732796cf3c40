"""Names of every Redis key of the view (``docs/redis.md``), from the prefix.

With prefix ``P`` (default ``socialkpi:``) and ``{A}`` the percent-encoded account id in
braces (a Redis Cluster hash tag: every key of one account lives in one slot, so RENAME
works there too):

| key | type | content |
|---|---|---|
| ``P{A}:kpis`` | hash | field ``kpi|period|dims-json`` -> record JSON (the whole snapshot) |
| ``P{A}:curves`` | hash | field post_id -> 48-hour curve JSON |
| ``P{A}:warm_prospects`` | string | JSON list, ranked; pseudonyms (+ encrypted ids) |
| ``P{A}:stale_invitations`` | string | JSON list, oldest first; pseudonyms (+ encrypted ids) |
| ``P{A}:meta`` | string | JSON: as_of, published_at, counts, worker |
| ``P{A}:alerts`` | string | JSON list of the account's firing alerts |
| ``Paccounts`` | zset | account id -> last publication (epoch seconds) |
| ``Pworker:{worker_id}`` | string | JSON status summary of one worker |
| ``Pworkers`` | zset | worker id -> last flush (epoch seconds) |
| ``Palerts:transitions`` | stream | every firing/resolved alert transition |
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

_SAFE_ID_CHARS = "-._~@+="


def encode_id(value: str) -> str:
    """An id as it appears inside a key: percent-encoded outside ``[A-Za-z0-9-._~@+=]``, so
    ``:``, ``{``, ``}`` and spaces can never make two keys collide."""
    return quote(value, safe=_SAFE_ID_CHARS)


@dataclass(frozen=True, slots=True)
class KeySchema:
    """Names of every key, from the prefix (see docs/redis.md)."""

    prefix: str = "socialkpi:"

    def account(self, account_id: str, name: str) -> str:
        return f"{self.prefix}{{{encode_id(account_id)}}}:{name}"

    def kpis(self, account_id: str) -> str:
        return self.account(account_id, "kpis")

    def curves(self, account_id: str) -> str:
        return self.account(account_id, "curves")

    def warm_prospects(self, account_id: str) -> str:
        return self.account(account_id, "warm_prospects")

    def stale_invitations(self, account_id: str) -> str:
        return self.account(account_id, "stale_invitations")

    def meta(self, account_id: str) -> str:
        return self.account(account_id, "meta")

    def account_keys(self, account_id: str) -> list[str]:
        """The keys one publication of the view writes (the alert list is the feed's)."""
        return [
            self.kpis(account_id),
            self.curves(account_id),
            self.warm_prospects(account_id),
            self.stale_invitations(account_id),
            self.meta(account_id),
        ]

    def view_marker(self, worker_id: str) -> str:
        """Set at every flush of a worker: its absence tells the worker the view was lost."""
        return f"{self.prefix}view:{encode_id(worker_id)}"

    @property
    def accounts(self) -> str:
        return f"{self.prefix}accounts"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}worker:{encode_id(worker_id)}"

    @property
    def workers(self) -> str:
        return f"{self.prefix}workers"

    # --- alerts (`sinks.redis.alerts.RedisAlertFeed`) --------------------------------------
    def alerts(self, account_id: str) -> str:
        return self.account(account_id, "alerts")

    @property
    def alert_transitions(self) -> str:
        return f"{self.prefix}alerts:transitions"
