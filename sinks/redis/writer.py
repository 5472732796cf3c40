"""`RedisView`: the publisher that writes the documented Redis view (``docs/redis.md``).

The first publication of an account (and every one after the view was lost) replaces its
snapshot: hashes are written to a temporary key and RENAMEd over the live one, strings are
SET. After that an evaluation writes only what changed (`publish_evaluation`): HSET/HDEL of
changed records and curves, the lists when they changed, the account's meta. Values are
absolute (never increments), so publishing twice is harmless. Keys carry the TTL; accounts
with nothing new have their TTLs renewed every third of it. A wiped Redis is noticed at the
next flush (the worker's view marker is gone) and refilled by full publications. All
accounts of one evaluation share one pipeline (sent in round trips of ``batch_commands``
commands). Member ids never reach Redis in clear (`sinks.privacy`).
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

from kpis.content import post_records
from kpis.incremental import AccountEvaluation, AccountView
from kpis.timeutil import US, format_ts, parse_ts
from models.records import KpiRecord
from sinks.privacy import Privacy, PrivacyError
from sinks.redis.client import async_client
from sinks.redis.documents import (
    SCHEMA_VERSION,
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
        self._renewed: dict[str, float] = {}  # account -> when its keys' TTLs were last set
        self._lost = False  # the view must be refilled (wiped, or a write failed)
        self._marked = False  # the view marker was set by an earlier flush
        self._list_counts: dict[str, tuple[int, int]] = {}  # account -> (warm, stale) written

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

        counts = self._publish_lists(pipe, account_id, details, as_of_us)
        meta = self._meta(account_id, as_of, now, len(records), len(curves), counts)
        pipe.set(keys.meta(account_id), compact_json(meta), ex=ttl)
        pipe.zadd(keys.accounts, {account_id: now})
        self._renewed[account_id] = now
        self.published_accounts += 1
        if len(pipe) >= self.batch_commands:
            await self._send(pipe)

    async def publish_evaluation(self, evaluation: AccountEvaluation, view: AccountView) -> None:
        """A full evaluation replaces the account's snapshot (`publish`); a delta writes
        only the changed records, curves and lists, then the meta."""
        account_id = evaluation.account_id
        if evaluation.full:
            await self.publish(account_id, evaluation.upserts, evaluation.details)
            return
        if not evaluation.changed:
            return
        now = self.clock()
        pipe = self._pipeline()
        keys, ttl = self.keys, self.ttl_s
        label = evaluation.as_of_label
        kpis_key, curves_key = keys.kpis(account_id), keys.curves(account_id)
        fields = [(record_field(r), r.to_json()) for r in evaluation.upserts]
        for start in range(0, len(fields), HASH_CHUNK):
            pipe.hset(kpis_key, mapping=dict(fields[start : start + HASH_CHUNK]))
        if evaluation.deletes:
            pipe.hdel(kpis_key, *[record_field(key) for key in evaluation.deletes])
        gone: list[str] = []
        for post_id, numbers in evaluation.posts.items():
            doc = None
            if numbers is not None:
                doc = build_curves(post_records(account_id, label, post_id, numbers)).get(post_id)
            if doc is None:
                gone.append(post_id)
            else:
                pipe.hset(curves_key, post_id, compact_json(doc))
        if gone:
            pipe.hdel(curves_key, *gone)
        if evaluation.details is not None:
            self._publish_lists(pipe, account_id, evaluation.details, evaluation.as_of)
        curves = sum(1 for numbers in view.posts.values() if numbers.curve)
        counts = self._list_counts.get(account_id, (0, 0))
        meta = self._meta(account_id, label, now, view.record_count, curves, counts)
        pipe.set(keys.meta(account_id), compact_json(meta), ex=ttl)
        pipe.expire(kpis_key, ttl)
        pipe.expire(curves_key, ttl)
        pipe.zadd(keys.accounts, {account_id: now})
        self._renewed[account_id] = now
        self.published_accounts += 1
        if len(pipe) >= self.batch_commands:
            await self._send(pipe)

    def refill_needed(self) -> bool:
        """Whether the view was lost since the last flush (then every account is published
        whole); reading it clears it."""
        lost, self._lost = self._lost, False
        return lost

    def forget(self, account_ids: Sequence[str]) -> None:
        """Accounts this worker no longer owns: their TTLs are no longer renewed here."""
        for account_id in account_ids:
            self._renewed.pop(account_id, None)
            self._list_counts.pop(account_id, None)

    def _publish_lists(
        self, pipe: Any, account_id: str, details: Mapping[str, Any] | Any, as_of_us: int
    ) -> tuple[int, int]:
        """Warm prospects and stale invitations (pseudonymized); returns their lengths."""
        keys, privacy = self.keys, self.privacy
        if privacy is None:
            if not self._warned_no_privacy and has_member_lists(details):
                log.warning("no pseudonym key: member lists of the accounts are not published")
                self._warned_no_privacy = True
            pipe.unlink(keys.warm_prospects(account_id), keys.stale_invitations(account_id))
            counts = (0, 0)
        else:
            prospects = build_prospects(details, account_id, privacy)
            stale = build_stale(details, account_id, privacy, as_of_us)
            self._set_or_delete(
                pipe, keys.warm_prospects(account_id), [asdict(p) for p in prospects]
            )
            self._set_or_delete(
                pipe, keys.stale_invitations(account_id), [asdict(s) for s in stale]
            )
            counts = (len(prospects), len(stale))
        self._list_counts[account_id] = counts
        return counts

    def _meta(
        self,
        account_id: str,
        as_of: str | None,
        now: float,
        records: int,
        curves: int,
        lists: tuple[int, int],
    ) -> dict[str, Any]:
        privacy = self.privacy
        return {
            "schema": SCHEMA_VERSION,
            "account_id": account_id,
            "as_of": as_of,
            "published_at": format_ts(int(now * US)),
            "records": records,
            "posts_with_curves": curves,
            "warm_prospects": lists[0],
            "stale_invitations": lists[1],
            "member_lists": privacy is not None,
            "revealable": privacy is not None and privacy.can_reveal,
            "worker_id": self.worker_id,
        }

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
        self._renew_idle(pipe, now)
        # The marker's previous value tells whether the view survived since the last flush.
        pipe.set(keys.view_marker(worker_id), "1", ex=self.ttl_s, get=True)
        results = await self._send(pipe)
        if results and results[-1] is None and self._marked:
            log.warning("the Redis view was lost (wiped or expired): publishing it whole")
            self._lost = True
        self._marked = True

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

    async def _send(self, pipe: Any) -> list[Any]:
        try:
            return list(await pipe.execute())
        except Exception:
            await pipe.reset()
            self._pipe = None
            self._lost = True  # what the pipeline held is gone: refill when Redis is back
            raise

    def _renew_idle(self, pipe: Any, now: float) -> None:
        """Renew the TTLs of accounts not written for a third of it (they had no change)."""
        due = now - self.ttl_s / 3
        keys, ttl = self.keys, self.ttl_s
        for account_id, renewed in self._renewed.items():
            if renewed <= due:
                for key in keys.account_keys(account_id):
                    pipe.expire(key, ttl)
                pipe.zadd(keys.accounts, {account_id: now})
                self._renewed[account_id] = now

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
