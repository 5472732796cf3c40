"""`RedisView`: the publisher that writes the documented Redis view (``docs/redis.md``).

Every publication replaces the account's snapshot: hashes are written to a temporary key and
RENAMEd over the live one, strings are SET; every key gets the TTL. Values are absolute
(never increments), so publishing twice is harmless and a wiped Redis is refilled by the next
evaluation. All accounts of one evaluation share one pipeline (sent in round trips of
``batch_commands`` commands). Member ids never reach Redis in clear (`sinks.privacy`).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import redis.asyncio as aioredis

from kpis.timeutil import US, format_ts, parse_ts
from models.records import KpiRecord
from sinks.privacy import Privacy, PrivacyError
from sinks.redis.client import async_client
from sinks.redis.documents import (
    SCHEMA_VERSION,
    ProspectEntry,
    StaleInvitationEntry,
    build_curves,
    build_prospects,
    build_stale,
    compact_json,
    has_member_lists,
    record_field,
)
from sinks.redis.keys import KeySchema
from sinks.settings import SinkSettings

log = logging.getLogger("sinks.redis")

HASH_CHUNK = 1000  # fields per HSET command


class RedisView:
    """A `streams.publisher.RecordsPublisher` that writes the documented Redis view.

    ``publish(account_id, records, details)`` queues the account's complete snapshot (kpis,
    curves, warm prospects, stale invitations, meta) on the evaluation's pipeline;
    ``flush(summary)`` adds the account index and worker status and sends what is left.
    ``details`` is a `kpis.details.AccountDetails` or a mapping with the same lists
    (``warm_prospects``: ``actor_id``, ``interactions``, ``degree``/``invite_to_connect``;
    ``stale_invitations`` or ``stale_pending_invitations``: ``invitation_id``,
    ``invitee_id``, ``sent_at`` in microseconds or RFC 3339, or bare invitation ids).
    Without a `Privacy` (no pseudonym key) the member lists are not written at all.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        privacy: Privacy | None,
        *,
        prefix: str = "socialkpi:",
        ttl_s: int = 3600,
        worker_id: str | None = None,
        batch_commands: int = 5000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_s < 1:
            raise ValueError("ttl_s must be at least 1 second")
        self.client = client
        self.privacy = privacy
        self.keys = KeySchema(prefix)
        self.ttl_s = ttl_s
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.batch_commands = max(10, batch_commands)
        self.clock = clock
        self._token = secrets.token_hex(6)  # temp keys of this publisher never collide
        self._pipe: Any = None
        self._warned_no_privacy = False
        self.published_accounts = 0

    @classmethod
    def from_settings(
        cls,
        settings: SinkSettings | None = None,
        *,
        worker_id: str | None = None,
        privacy: Privacy | None = None,
    ) -> RedisView:
        settings = settings or SinkSettings()
        if privacy is None:
            try:
                privacy = Privacy.from_settings(settings)
            except PrivacyError as exc:
                log.warning("%s; warm prospects and stale invitations are not published", exc)
        return cls(
            async_client(settings),
            privacy,
            prefix=settings.redis_prefix,
            ttl_s=settings.redis_ttl_s,
            worker_id=worker_id,
            batch_commands=settings.redis_batch_commands,
        )

    # --- RecordsPublisher ------------------------------------------------------------------
    async def publish(
        self,
        account_id: str,
        records: Sequence[KpiRecord],
        details: Mapping[str, Any] | Any,
    ) -> None:
        now = self.clock()
        as_of = max((r.as_of for r in records), default=None)
        as_of_us = parse_ts(as_of) if as_of else int(now * US)
        pipe = self._pipeline()
        keys = self.keys
        ttl = self.ttl_s

        self._replace_hash(
            pipe, keys.kpis(account_id), {record_field(r): r.to_json() for r in records}
        )
        curves = build_curves(records)
        self._replace_hash(
            pipe, keys.curves(account_id), {post: compact_json(doc) for post, doc in curves.items()}
        )

        privacy = self.privacy
        prospects: list[ProspectEntry] = []
        stale: list[StaleInvitationEntry] = []
        if privacy is not None:
            prospects = build_prospects(details, account_id, privacy)
            stale = build_stale(details, account_id, privacy, as_of_us)
            self._set_or_delete(
                pipe, keys.warm_prospects(account_id), [asdict(p) for p in prospects]
            )
            self._set_or_delete(
                pipe, keys.stale_invitations(account_id), [asdict(s) for s in stale]
            )
        else:
            if not self._warned_no_privacy and has_member_lists(details):
                log.warning("no pseudonym key: member lists of the accounts are not published")
                self._warned_no_privacy = True
            pipe.unlink(keys.warm_prospects(account_id), keys.stale_invitations(account_id))

        meta = {
            "schema": SCHEMA_VERSION,
            "account_id": account_id,
            "as_of": as_of,
            "published_at": format_ts(int(now * US)),
            "records": len(records),
            "posts_with_curves": len(curves),
            "warm_prospects": len(prospects),
            "stale_invitations": len(stale),
            "member_lists": privacy is not None,
            "revealable": privacy is not None and privacy.can_reveal,
            "worker_id": self.worker_id,
        }
        pipe.set(keys.meta(account_id), compact_json(meta), ex=ttl)
        pipe.zadd(keys.accounts, {account_id: now})
        self.published_accounts += 1
        if len(pipe) >= self.batch_commands:
            await self._send(pipe)

    async def flush(self, summary: Mapping[str, Any]) -> None:
        pipe = self._pipeline()
        self._pipe = None
        now = self.clock()
        keys = self.keys
        worker_id = str(summary.get("worker_id") or self.worker_id)
        horizon = now - self.ttl_s
        pipe.zremrangebyscore(keys.accounts, "-inf", horizon)
        pipe.expire(keys.accounts, self.ttl_s)
        status = {**summary, "worker_id": worker_id, "flushed_at": format_ts(int(now * US))}
        pipe.set(keys.worker(worker_id), compact_json(status), ex=self.ttl_s)
        pipe.zadd(keys.workers, {worker_id: now})
        pipe.zremrangebyscore(keys.workers, "-inf", horizon)
        pipe.expire(keys.workers, self.ttl_s)
        await self._send(pipe)

    async def close(self) -> None:
        if self._pipe is not None:
            await self._pipe.reset()
            self._pipe = None
        await self.client.aclose()

    # --- helpers ---------------------------------------------------------------------------
    def _pipeline(self) -> Any:
        if self._pipe is None:
            self._pipe = self.client.pipeline(transaction=False)
        return self._pipe

    async def _send(self, pipe: Any) -> None:
        try:
            await pipe.execute()
        except Exception:
            await pipe.reset()
            self._pipe = None
            raise

    def _replace_hash(self, pipe: Any, key: str, mapping: Mapping[str, str]) -> None:
        """Atomic replace: build the new hash under a temporary key, then RENAME it over."""
        if not mapping:
            pipe.unlink(key)
            return
        tmp = f"{key}:tmp:{self._token}"
        pipe.unlink(tmp)
        items = list(mapping.items())
        for start in range(0, len(items), HASH_CHUNK):
            pipe.hset(tmp, mapping=dict(items[start : start + HASH_CHUNK]))
        pipe.expire(tmp, self.ttl_s)  # RENAME keeps it: the live key has the TTL
        pipe.rename(tmp, key)

    def _set_or_delete(self, pipe: Any, key: str, value: list[Any]) -> None:
        if value:
            pipe.set(key, compact_json(value), ex=self.ttl_s)
        else:
            pipe.unlink(key)
