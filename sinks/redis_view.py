"""Redis, a materialized view of the KPI records: `RedisView` writes it, `RedisViewReader` reads.

The key schema is documented in ``docs/redis.md``. In short, with prefix ``P`` (default
``socialkpi:``) and ``{A}`` the percent-encoded account id in braces (a Redis Cluster hash
tag: every key of one account lives in one slot, so RENAME works there too):

| key | type | content |
|---|---|---|
| ``P{A}:kpis`` | hash | field ``kpi|period|dims-json`` -> record JSON (the whole snapshot) |
| ``P{A}:curves`` | hash | field post_id -> 48-hour curve JSON |
| ``P{A}:warm_prospects`` | string | JSON list, ranked; pseudonyms (+ encrypted ids) |
| ``P{A}:stale_invitations`` | string | JSON list, oldest first; pseudonyms (+ encrypted ids) |
| ``P{A}:meta`` | string | JSON: as_of, published_at, counts, worker |
| ``Paccounts`` | zset | account id -> last publication (epoch seconds) |
| ``Pworker:{worker_id}`` | string | JSON status summary of one worker |
| ``Pworkers`` | zset | worker id -> last flush (epoch seconds) |

Every publication replaces the account's snapshot: hashes are written to a temporary key and
RENAMEd over the live one, strings are SET; every key gets the TTL. Values are absolute
(never increments), so publishing twice is harmless and a wiped Redis is refilled by the next
evaluation. All accounts of one evaluation share one pipeline (sent in round trips of
``batch_commands`` commands). Member ids never reach Redis in clear (`sinks.privacy`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis
from pydantic import SecretStr

from kpis.timeutil import DAY_US, US, format_ts, parse_ts
from models.records import KpiRecord, RecordValue
from sinks.privacy import Privacy, PrivacyError
from sinks.settings import SinkSettings

log = logging.getLogger("sinks.redis")

SCHEMA_VERSION = 1
HASH_CHUNK = 1000  # fields per HSET command
_SAFE_ID_CHARS = "-._~@+="

CURVE_KPIS = {
    "post_hourly_views": "views",
    "post_hourly_interactions": "interactions",
    "post_cumulative_views": "cumulative_views",
    "post_cumulative_interactions": "cumulative_interactions",
}
POST_TOTAL_KPIS = {
    "post_views": "views",
    "post_reactions": "reactions",
    "post_comments": "comments",
    "post_shares": "shares",
    "post_clicks": "clicks",
    "post_interactions": "interactions",
    "post_engagement_rate": "engagement_rate",
}


# --------------------------------------------------------------------------- key schema


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
        return [
            self.kpis(account_id),
            self.curves(account_id),
            self.warm_prospects(account_id),
            self.stale_invitations(account_id),
            self.meta(account_id),
        ]

    @property
    def accounts(self) -> str:
        return f"{self.prefix}accounts"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}worker:{encode_id(worker_id)}"

    @property
    def workers(self) -> str:
        return f"{self.prefix}workers"


def record_field(record: KpiRecord) -> str:
    """Hash field of a record: ``kpi|period|dims`` (dims as compact JSON, sorted keys)."""
    return f"{record.kpi}|{record.period}|{dims_json(record.dims)}"


def dims_json(dims: Mapping[str, str | int]) -> str:
    return json.dumps(dims, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_from_json(text: str | bytes) -> KpiRecord:
    """Inverse of `KpiRecord.to_json` (a string value is money: back to Decimal)."""
    data = json.loads(text)
    raw = data["value"]
    value: RecordValue = Decimal(raw) if isinstance(raw, str) else raw
    return KpiRecord(
        account_id=data["account_id"],
        kpi=data["kpi"],
        period=data["period"],
        value=value,
        as_of=data["as_of"],
        dims=dict(data.get("dims") or {}),
    )


# --------------------------------------------------------------------------- connections


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def connection_options(
    url: str,
    *,
    username: str | None = None,
    password: SecretStr | str | None = None,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments of ``Redis.from_url(url, ...)``: AUTH (the URL's user/password win
    over these) and TLS files (a ``rediss://`` URL turns TLS on)."""
    options: dict[str, Any] = {"socket_connect_timeout": 5, "socket_timeout": 30}
    if username:
        options["username"] = username
    if password is not None:
        secret = password.get_secret_value() if isinstance(password, SecretStr) else password
        options["password"] = secret
    tls_files = ca_file or cert_file or key_file
    if tls_files and not url.startswith("rediss://"):
        raise ValueError("Redis TLS files need a rediss:// URL")
    if ca_file:
        options["ssl_ca_certs"] = ca_file
    if cert_file:
        options["ssl_certfile"] = cert_file
    if key_file:
        options["ssl_keyfile"] = key_file
    return options


def _settings_options(settings: SinkSettings) -> tuple[str, dict[str, Any]]:
    url = settings.redis_url.get_secret_value()
    return url, connection_options(
        url,
        username=settings.redis_username,
        password=settings.redis_password,
        ca_file=settings.redis_ssl_ca_file,
        cert_file=settings.redis_ssl_cert_file,
        key_file=settings.redis_ssl_key_file,
    )


def async_client(settings: SinkSettings) -> aioredis.Redis:
    url, options = _settings_options(settings)
    return aioredis.Redis.from_url(url, **options)


def sync_client(settings: SinkSettings) -> redis.Redis:
    url, options = _settings_options(settings)
    return redis.Redis.from_url(url, decode_responses=True, **options)


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True, slots=True)
class ProspectEntry:
    """One ranked warm prospect as stored: no member id in clear."""

    rank: int
    pseudonym: str
    interactions: int
    degree: int | None
    invite_to_connect: bool
    encrypted_id: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProspectEntry:
        return cls(
            rank=int(data["rank"]),
            pseudonym=str(data["pseudonym"]),
            interactions=int(data["interactions"]),
            degree=None if data.get("degree") is None else int(data["degree"]),
            invite_to_connect=bool(data.get("invite_to_connect")),
            encrypted_id=data.get("encrypted_id"),
        )


@dataclass(frozen=True, slots=True)
class StaleInvitationEntry:
    """One stale pending invitation as stored: the invitee as pseudonym (+ encrypted id)."""

    invitation_id: str
    invitee_pseudonym: str | None
    invitee_encrypted_id: str | None
    sent_at: str | None
    days_pending: int | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StaleInvitationEntry:
        return cls(
            invitation_id=str(data["invitation_id"]),
            invitee_pseudonym=data.get("invitee_pseudonym"),
            invitee_encrypted_id=data.get("invitee_encrypted_id"),
            sent_at=data.get("sent_at"),
            days_pending=None if data.get("days_pending") is None else int(data["days_pending"]),
        )


def _get(item: Any, *names: str) -> Any:
    """A field of a details item, whether it is a mapping or an object (first name found)."""
    for name in names:
        if isinstance(item, Mapping):
            if name in item:
                return item[name]
        elif hasattr(item, name):
            return getattr(item, name)
    return None


def _details_list(details: Any, *names: str) -> list[Any]:
    if details is None:
        return []
    value = _get(details, *names)
    return list(value) if value else []


def _as_us(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return parse_ts(value)
    return None


def build_prospects(details: Any, account_id: str, privacy: Privacy) -> list[ProspectEntry]:
    """Warm prospects ranked by interactions (desc), then pseudonym; ids protected."""
    rows: list[tuple[int, str, int | None, bool, str | None]] = []
    for item in _details_list(details, "warm_prospects"):
        member_id = _get(item, "actor_id", "member_id", "prospect_id")
        if member_id is None:
            continue
        interactions = int(_get(item, "interactions", "count") or 0)
        degree = _get(item, "degree")
        invite = _get(item, "invite_to_connect")
        invite_flag = bool(invite) if invite is not None else degree != 1
        protected = privacy.protect(str(member_id), account_id)
        rows.append((interactions, protected.pseudonym, degree, invite_flag, protected.encrypted))
    rows.sort(key=lambda row: (-row[0], row[1]))
    return [
        ProspectEntry(rank, pseudonym, n, degree, invite, encrypted)
        for rank, (n, pseudonym, degree, invite, encrypted) in enumerate(rows, start=1)
    ]


def build_stale(
    details: Any, account_id: str, privacy: Privacy, as_of_us: int
) -> list[StaleInvitationEntry]:
    """Stale pending invitations, oldest first; invitee ids protected."""
    items = _details_list(details, "stale_invitations", "stale_pending_invitations")
    out: list[tuple[int, StaleInvitationEntry]] = []
    for item in items:
        if isinstance(item, str):
            invitation_id, invitee, sent_us = item, None, None
        else:
            invitation_id = str(_get(item, "invitation_id"))
            invitee = _get(item, "invitee_id")
            sent_us = _as_us(_get(item, "sent_at"))
        protected = privacy.protect(str(invitee), account_id) if invitee is not None else None
        entry = StaleInvitationEntry(
            invitation_id=invitation_id,
            invitee_pseudonym=protected.pseudonym if protected else None,
            invitee_encrypted_id=protected.encrypted if protected else None,
            sent_at=None if sent_us is None else format_ts(sent_us),
            days_pending=None if sent_us is None else max(0, (as_of_us - sent_us) // DAY_US),
        )
        out.append((sent_us if sent_us is not None else as_of_us, entry))
    out.sort(key=lambda pair: (pair[0], pair[1].invitation_id))
    return [entry for _, entry in out]


def _number(value: RecordValue) -> int | float | str:
    return format(value, "f") if isinstance(value, Decimal) else value


def build_curves(records: Iterable[KpiRecord]) -> dict[str, dict[str, Any]]:
    """Per post with hourly records: the 48-hour curve (hourly and running totals) + totals."""
    hours: dict[str, dict[int, dict[str, int | float | str]]] = {}
    totals: dict[str, dict[str, int | float | str]] = {}
    long_lived: dict[str, bool] = {}
    as_of: dict[str, str] = {}
    for record in records:
        post_id = record.dims.get("post_id")
        if post_id is None:
            continue
        post = str(post_id)
        column = CURVE_KPIS.get(record.kpi)
        if column is not None and "hour" in record.dims:
            row = hours.setdefault(post, {}).setdefault(int(record.dims["hour"]), {})
            row[column] = _number(record.value)
            as_of[post] = record.as_of
        elif record.kpi in POST_TOTAL_KPIS:
            totals.setdefault(post, {})[POST_TOTAL_KPIS[record.kpi]] = _number(record.value)
        elif record.kpi == "post_long_lived":
            long_lived[post] = bool(record.value)
    curves: dict[str, dict[str, Any]] = {}
    for post, by_hour in hours.items():
        rows: list[dict[str, Any]] = []
        cum_views: int | float = 0
        cum_interactions: int | float = 0
        for hour in sorted(by_hour):
            row = by_hour[hour]
            views = row.get("views", 0)
            interactions = row.get("interactions", 0)
            if isinstance(views, int | float):
                cum_views += views
            if isinstance(interactions, int | float):
                cum_interactions += interactions
            rows.append(
                {
                    "hour": hour,
                    "views": views,
                    "interactions": interactions,
                    "cumulative_views": row.get("cumulative_views", cum_views),
                    "cumulative_interactions": row.get("cumulative_interactions", cum_interactions),
                }
            )
        curves[post] = {
            "post_id": post,
            "as_of": as_of[post],
            "hours": rows,
            "totals": totals.get(post, {}),
            "long_lived": long_lived.get(post),
        }
    return curves


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


# --------------------------------------------------------------------------- writer


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
            pipe, keys.curves(account_id), {post: _json(doc) for post, doc in curves.items()}
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
            if not self._warned_no_privacy and (
                _details_list(details, "warm_prospects")
                or _details_list(details, "stale_invitations", "stale_pending_invitations")
            ):
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
        pipe.set(keys.meta(account_id), _json(meta), ex=ttl)
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
        pipe.set(keys.worker(worker_id), _json(status), ex=self.ttl_s)
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
            pipe.set(key, _json(value), ex=self.ttl_s)
        else:
            pipe.unlink(key)


# --------------------------------------------------------------------------- reader


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
    """Reads the view (synchronous: used by ``socialkpi show``)."""

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
        records = sorted((record_from_json(v) for v in kpis.values()), key=KpiRecord.sort_key)
        return AccountSnapshot(
            account_id=account_id,
            meta=json.loads(meta_text) if meta_text else {},
            records=records,
            curves={post: json.loads(doc) for post, doc in sorted(curves.items())},
            warm_prospects=[ProspectEntry.from_dict(d) for d in json.loads(warm or "[]")],
            stale_invitations=[
                StaleInvitationEntry.from_dict(d) for d in json.loads(stale or "[]")
            ],
        )

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
        return sorted((record_from_json(v) for v in values), key=KpiRecord.sort_key)

    def record(
        self, account_id: str, kpi: str, period: str, dims: Mapping[str, str | int] | None = None
    ) -> KpiRecord | None:
        text = self.client.hget(
            self.keys.kpis(account_id), f"{kpi}|{period}|{dims_json(dims or {})}"
        )
        return record_from_json(str(text)) if text else None

    def curve(self, account_id: str, post_id: str) -> dict[str, Any] | None:
        text = self.client.hget(self.keys.curves(account_id), post_id)
        return json.loads(str(text)) if text else None

    def curves(self, account_id: str) -> dict[str, dict[str, Any]]:
        raw = self.client.hgetall(self.keys.curves(account_id))
        return {str(post): json.loads(doc) for post, doc in sorted(raw.items())}

    def warm_prospects(self, account_id: str) -> list[ProspectEntry]:
        text = self.client.get(self.keys.warm_prospects(account_id))
        return [ProspectEntry.from_dict(d) for d in json.loads(str(text or "[]"))]

    def stale_invitations(self, account_id: str) -> list[StaleInvitationEntry]:
        text = self.client.get(self.keys.stale_invitations(account_id))
        return [StaleInvitationEntry.from_dict(d) for d in json.loads(str(text or "[]"))]

    def workers(self) -> dict[str, dict[str, Any]]:
        """Status summary of each worker that flushed within the TTL."""
        out: dict[str, dict[str, Any]] = {}
        for worker_id in self.client.zrange(self.keys.workers, 0, -1):
            text = self.client.get(self.keys.worker(str(worker_id)))
            if text:
                out[str(worker_id)] = json.loads(str(text))
        return out


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
