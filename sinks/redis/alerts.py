"""Alerts in Redis, for tools without Prometheus (see docs/redis.md, "Alerts").

- ``P{A}:alerts`` (string, JSON list): the account's firing alerts, rewritten at every
  evaluation (absolute, so a wiped Redis is refilled), with the view's TTL;
- ``Palerts:transitions`` (stream): every firing/resolved transition as it happens, field
  ``transition`` = the JSON of `alerting.evaluator.AlertTransition`; capped (MAXLEN ~) and
  expiring, read with XREAD/XREADGROUP to react.

A `streams.publisher.RecordsPublisher` with two extra calls the worker makes per
evaluation: `set_firing` per account and `add_transitions` once; `flush` sends them in one
pipeline. Key names: `sinks.redis.keys.KeySchema`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import redis.asyncio as aioredis

from models.records import KpiRecord
from sinks.redis.client import async_client
from sinks.redis.keys import KeySchema
from sinks.settings import SinkSettings

MAX_TRANSITIONS = 10_000


class Transition(Protocol):
    def to_json(self) -> str: ...


class RedisAlertFeed:
    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str,
        ttl_s: int,
        max_transitions: int = MAX_TRANSITIONS,
    ) -> None:
        self.client = client
        self.keys = KeySchema(prefix)
        self.ttl_s = ttl_s
        self.max_transitions = max_transitions
        self._pipe: Any = None

    @classmethod
    def from_settings(cls, settings: SinkSettings) -> RedisAlertFeed:
        return cls(async_client(settings), settings.redis_prefix, settings.redis_ttl_s)

    @property
    def transitions_key(self) -> str:
        return self.keys.alert_transitions

    def alerts_key(self, account_id: str) -> str:
        return self.keys.alerts(account_id)

    def _pipeline(self) -> Any:
        if self._pipe is None:
            self._pipe = self.client.pipeline(transaction=False)
        return self._pipe

    async def publish(
        self, account_id: str, records: Sequence[KpiRecord], details: Mapping[str, Any] | Any
    ) -> None:
        """Records are the view's business; the firing list comes through `set_firing`."""

    async def publish_evaluation(self, evaluation: Any, view: Any) -> None:
        """Records are the view's business; the firing list comes through `set_firing`."""

    def set_firing(self, account_id: str, firing: Sequence[Mapping[str, Any]]) -> None:
        key = self.alerts_key(account_id)
        if firing:
            self._pipeline().set(key, json.dumps(list(firing), sort_keys=True), ex=self.ttl_s)
        else:
            self._pipeline().unlink(key)

    def add_transitions(self, transitions: Sequence[Transition]) -> None:
        pipe = self._pipeline()
        for transition in transitions:
            pipe.xadd(
                self.transitions_key,
                {"transition": transition.to_json()},
                maxlen=self.max_transitions,
                approximate=True,
            )
        if transitions:
            pipe.expire(self.transitions_key, max(self.ttl_s, 7 * 86_400))

    async def flush(self, summary: Mapping[str, Any]) -> None:
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            try:
                await pipe.execute()
            finally:
                await pipe.reset()

    async def close(self) -> None:
        self._pipe = None
        await self.client.aclose()
