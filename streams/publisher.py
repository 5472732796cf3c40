"""Where evaluated KPI records go: a small protocol and a Redis implementation.

Each evaluation calls `publish(account_id, records, details)` once per local account, then
`flush(summary)` once. The Redis/Prometheus sinks of `sinks/` plug in here later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import redis.asyncio as aioredis
from pydantic import SecretStr

from models.records import KpiRecord


class RecordsPublisher(Protocol):
    async def publish(
        self, account_id: str, records: Sequence[KpiRecord], details: Mapping[str, Any]
    ) -> None:
        """The complete record set of one account at one evaluation (replaces the last)."""

    async def flush(self, summary: Mapping[str, Any]) -> None:
        """End of one evaluation; `summary` is the worker's stats snapshot."""

    async def close(self) -> None: ...


def record_field(record: KpiRecord) -> str:
    """Hash field of a record: `kpi|period|dims` (dims as compact JSON, sorted keys)."""
    dims = json.dumps(record.dims, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{record.kpi}|{record.period}|{dims}"


class RedisRecordsPublisher:
    """One hash per account, `{prefix}{account_id}:kpis`: field `kpi|period|dims` -> record
    JSON, replaced atomically (written to a temporary key, then RENAME) with a TTL. All
    accounts of one evaluation go through ONE pipeline. The worker's stats snapshot goes to
    `{prefix}worker:{worker_id}` (JSON string, same TTL)."""

    def __init__(self, url: SecretStr | str, prefix: str, ttl_s: int, worker_id: str) -> None:
        self._url = url.get_secret_value() if isinstance(url, SecretStr) else url
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.worker_id = worker_id
        self._client: aioredis.Redis | None = None
        self._pipe: Any = None

    def _pipeline(self) -> Any:
        if self._pipe is None:
            if self._client is None:
                self._client = aioredis.Redis.from_url(
                    self._url, socket_connect_timeout=5, socket_timeout=30
                )
            self._pipe = self._client.pipeline(transaction=False)
        return self._pipe

    def kpis_key(self, account_id: str) -> str:
        return f"{self.prefix}{account_id}:kpis"

    async def publish(
        self, account_id: str, records: Sequence[KpiRecord], details: Mapping[str, Any]
    ) -> None:
        pipe = self._pipeline()
        key = self.kpis_key(account_id)
        if not records:
            pipe.delete(key)
            return
        tmp = f"{key}:next"
        pipe.delete(tmp)
        pipe.hset(tmp, mapping={record_field(r): r.to_json() for r in records})
        pipe.expire(tmp, self.ttl_s)
        pipe.rename(tmp, key)

    async def flush(self, summary: Mapping[str, Any]) -> None:
        pipe = self._pipeline()
        self._pipe = None
        status = json.dumps(summary, sort_keys=True, default=str)
        pipe.set(f"{self.prefix}worker:{self.worker_id}", status, ex=self.ttl_s)
        await pipe.execute()

    async def close(self) -> None:
        self._pipe = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
