"""`RedisViewReader`: reads the view back (synchronous: used by ``socialkpi show``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import redis

from models.records import KpiRecord
from sinks.redis.client import sync_client
from sinks.redis.documents import (
    ProspectEntry,
    StaleInvitationEntry,
    dims_json,
    record_from_json,
    restamp,
    view_as_of,
)
from sinks.redis.keys import KeySchema
from sinks.settings import SinkSettings


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """Everything the view holds about one account, read in one MULTI (consistent)."""

    account_id: str
    meta: dict[str, Any]
    records: list[KpiRecord]
    curves: dict[str, dict[str, Any]]
    warm_prospects: list[ProspectEntry] = field(default_factory=list)
    stale_invitations: list[StaleInvitationEntry] = field(default_factory=list)


class RedisViewReader:
    """Reads the view (synchronous: used by ``socialkpi show``).

    Records come back with the view's `as_of` (`documents.view_as_of`): the worker rewrites
    a record only when its value changes, so the one stored is when it last did."""

    def __init__(self, client: redis.Redis, prefix: str = "socialkpi:") -> None:
        self.client = client
        self.keys = KeySchema(prefix)

    @classmethod
    def from_settings(cls, settings: SinkSettings | None = None) -> RedisViewReader:
        settings = settings or SinkSettings()
        return cls(sync_client(settings), settings.redis_prefix)

    def close(self) -> None:
        self.client.close()

    def accounts(self) -> list[str]:
        """Accounts published within the TTL (each flush prunes older ones), sorted."""
        members = self.client.zrange(self.keys.accounts, 0, -1)
        return sorted(str(m) for m in members)

    def snapshot(self, account_id: str) -> AccountSnapshot | None:
        """The account's snapshot, or None when nothing is published for it."""
        keys = self.keys
        pipe = self.client.pipeline(transaction=True)
        pipe.get(keys.meta(account_id))
        pipe.hgetall(keys.kpis(account_id))
        pipe.hgetall(keys.curves(account_id))
        pipe.get(keys.warm_prospects(account_id))
        pipe.get(keys.stale_invitations(account_id))
        meta_text, kpis, curves, warm, stale = pipe.execute()
        if meta_text is None and not kpis:
            return None
        meta = json.loads(meta_text) if meta_text else {}
        as_of = self._as_of(meta)
        if as_of is not None:
            meta["as_of"] = as_of
        records = sorted(
            (restamp(record_from_json(v), as_of) for v in kpis.values()), key=KpiRecord.sort_key
        )
        return AccountSnapshot(
            account_id=account_id,
            meta=meta,
            records=records,
            curves={post: _curve_at(doc, as_of) for post, doc in sorted(curves.items())},
            warm_prospects=[ProspectEntry.from_dict(d) for d in json.loads(warm or "[]")],
            stale_invitations=[
                StaleInvitationEntry.from_dict(d).pending_at(as_of)
                for d in json.loads(stale or "[]")
            ],
        )

    def _as_of(self, meta: Mapping[str, Any]) -> str | None:
        worker_id = meta.get("worker_id")
        text = self.client.get(self.keys.worker(str(worker_id))) if worker_id else None
        return view_as_of(meta, json.loads(str(text)) if text else None)

    def meta(self, account_id: str) -> dict[str, Any] | None:
        text = self.client.get(self.keys.meta(account_id))
        return json.loads(str(text)) if text else None

    def records(self, account_id: str, kpi: str | None = None) -> list[KpiRecord]:
        """The account's records (all, or those of one KPI), in the replay order."""
        key = self.keys.kpis(account_id)
        if kpi is None:
            values = list(self.client.hgetall(key).values())
        else:
            values = [
                v
                for _, v in self.client.hscan_iter(key, match=f"{_glob_escape(kpi)}|*", count=1000)
            ]
        as_of = self._as_of(self.meta(account_id) or {})
        return sorted((restamp(record_from_json(v), as_of) for v in values), key=KpiRecord.sort_key)

    def record(
        self, account_id: str, kpi: str, period: str, dims: Mapping[str, str | int] | None = None
    ) -> KpiRecord | None:
        text = self.client.hget(
            self.keys.kpis(account_id), f"{kpi}|{period}|{dims_json(dims or {})}"
        )
        if not text:
            return None
        return restamp(record_from_json(str(text)), self._as_of(self.meta(account_id) or {}))

    def curve(self, account_id: str, post_id: str) -> dict[str, Any] | None:
        text = self.client.hget(self.keys.curves(account_id), post_id)
        if not text:
            return None
        return _curve_at(str(text), self._as_of(self.meta(account_id) or {}))

    def curves(self, account_id: str) -> dict[str, dict[str, Any]]:
        raw = self.client.hgetall(self.keys.curves(account_id))
        as_of = self._as_of(self.meta(account_id) or {})
        return {str(post): _curve_at(doc, as_of) for post, doc in sorted(raw.items())}

    def warm_prospects(self, account_id: str) -> list[ProspectEntry]:
        text = self.client.get(self.keys.warm_prospects(account_id))
        return [ProspectEntry.from_dict(d) for d in json.loads(str(text or "[]"))]

    def stale_invitations(self, account_id: str) -> list[StaleInvitationEntry]:
        text = self.client.get(self.keys.stale_invitations(account_id))
        as_of = self._as_of(self.meta(account_id) or {})
        entries = json.loads(str(text or "[]"))
        return [StaleInvitationEntry.from_dict(d).pending_at(as_of) for d in entries]

    def workers(self) -> dict[str, dict[str, Any]]:
        """Status summary of each worker that flushed within the TTL."""
        out: dict[str, dict[str, Any]] = {}
        for worker_id in self.client.zrange(self.keys.workers, 0, -1):
            text = self.client.get(self.keys.worker(str(worker_id)))
            if text:
                out[str(worker_id)] = json.loads(str(text))
        return out


def _curve_at(text: str | bytes, as_of: str | None) -> dict[str, Any]:
    """A stored curve document with the view's `as_of` (it is rewritten when it changes)."""
    doc: dict[str, Any] = json.loads(text)
    if as_of is not None and "as_of" in doc:
        doc["as_of"] = as_of
    return doc


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
