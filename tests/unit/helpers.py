"""A tiny event-builder DSL for hand-worked unit tests.

Every builder returns a plain dict (the wire format); `run` serialises each one, validates it
with `models.parse_event` (so the tests go through the real contract) and replays it through
`kpis.Engine` exactly as `socialkpi replay` does (events after `as_of` are not applied).

    events = [sent("i1", "2026-11-20T09:00:00Z"), accepted("i1", "2026-11-20T10:00:00Z")]
    result = run(events, as_of="2026-11-20T12:00:00Z")
    assert result.value("invitation_acceptance_rate", "rolling_96h") == 1.0
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from kpis import Engine, EngineConfig
from kpis.timeutil import DAY_US, HOUR_US, format_ts, parse_ts
from models import parse_event
from models.records import KpiRecord

ACCOUNT = "rep-1"
MINUTE_US = 60_000_000
_ids = itertools.count(1)

Event = dict[str, Any]


def us(text: str) -> int:
    """RFC 3339 -> microseconds since the epoch."""
    return parse_ts(text)


def shift(base: str, *, days: float = 0, hours: float = 0, minutes: float = 0, micros: int = 0):
    """`base` moved by the given amount, as an RFC 3339 UTC string (microseconds kept)."""
    delta = int(days * DAY_US) + int(hours * HOUR_US) + int(minutes * MINUTE_US) + micros
    return format_ts(parse_ts(base) + delta)


def event(type_: str, at: str, *, account: str = ACCOUNT, event_id: str | None = None, **fields):
    """One wire event; `None` fields are left out (so optional fields can be omitted)."""
    body: Event = {
        "event_id": event_id or f"ev-{next(_ids)}",
        "type": type_,
        "occurred_at": at,
        "account_id": account,
    }
    body.update({k: v for k, v in fields.items() if v is not None})
    return body


# --- invitations -----------------------------------------------------------------------------


def sent(
    inv: str,
    at: str,
    *,
    invitee: str | None = None,
    inbound: bool = False,
    target: bool = False,
    **kw: Any,
) -> Event:
    return event(
        "invitation.sent",
        at,
        invitation_id=inv,
        invitee_id=invitee or f"member-{inv}",
        direction="inbound" if inbound else "outbound",
        invitee_is_target=target,
        **kw,
    )


def accepted(inv: str, at: str, **kw) -> Event:
    return event("invitation.accepted", at, invitation_id=inv, **kw)


def withdrawn(inv: str, at: str, **kw) -> Event:
    return event("invitation.withdrawn", at, invitation_id=inv, **kw)


# --- profile ---------------------------------------------------------------------------------


def profile(at: str, **fields: Any) -> Event:
    return event("profile.snapshot", at, **fields)


def ssi(brand: float, people: float, insights: float, relationships: float, **ranks: float):
    return {
        "brand": brand,
        "people": people,
        "insights": insights,
        "relationships": relationships,
        **ranks,
    }


# --- content ---------------------------------------------------------------------------------


def published(post: str, at: str, fmt: str = "text", **kw) -> Event:
    return event("post.published", at, post_id=post, format=fmt, **kw)


def interaction(
    post: str,
    kind: str,
    at: str,
    count: int | None = None,
    actor: str | None = None,
    degree: int | None = None,
    **kw: Any,
) -> Event:
    return event(
        "post.interaction",
        at,
        post_id=post,
        kind=kind,
        count=count,
        actor_id=actor,
        actor_degree=degree,
        **kw,
    )


def snapshot(post: str, at: str, **counters: int) -> Event:
    return event("post.snapshot", at, post_id=post, **counters)


# --- messages --------------------------------------------------------------------------------


def msg_sent(conv: str, at: str, *, to: str | None = None, **kw) -> Event:
    return event(
        "message.sent",
        at,
        conversation_id=conv,
        message_id=f"m-{next(_ids)}",
        recipient_id=to or f"member-{conv}",
        **kw,
    )


def msg_received(conv: str, at: str, *, sender: str | None = None, **kw) -> Event:
    return event(
        "message.received",
        at,
        conversation_id=conv,
        message_id=f"m-{next(_ids)}",
        sender_id=sender or f"member-{conv}",
        **kw,
    )


# --- outcomes --------------------------------------------------------------------------------


def outcome(kind: str, at: str, prospect: str, channel: str = "organic", value=None, **kw):
    return event(
        "outcome.recorded", at, kind=kind, prospect_id=prospect, channel=channel, value=value, **kw
    )


# --- ads -------------------------------------------------------------------------------------

AD_DIMS = {
    "campaign_id": "camp-1",
    "creative_id": "cr-1",
    "format": "sponsored_content",
    "currency": "EUR",
}


def ad(kind: str, at: str, count: int | None = None, cost: str | None = None, **kw: Any):
    """`ad.<kind>` of the default group (override campaign_id, creative_id, format, ...)."""
    fields = {k: v for k, v in AD_DIMS.items() if k != "currency"}
    fields.update(kw)
    return event(f"ad.{kind}", at, count=count, cost=cost, **fields)


def report(date: str, at: str, impressions: int, clicks: int, cost: str, **kw: Any) -> Event:
    fields = dict(AD_DIMS)
    fields.update(kw)
    return event(
        "ad.daily_report",
        at,
        date=date,
        impressions=impressions,
        clicks=clicks,
        cost=cost,
        **fields,
    )


# --- running ---------------------------------------------------------------------------------


def dims_key(dims: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in dims.items()))


@dataclass
class Result:
    records: list[KpiRecord]
    engine: Engine
    outcomes: list[str] = field(default_factory=list)

    def find(self, kpi: str, period: str | None = None, **dims: Any) -> list[KpiRecord]:
        """Records of `kpi` (and `period`) whose dims are exactly `dims`."""
        want = dims_key(dims)
        return [
            r
            for r in self.records
            if r.kpi == kpi and (period is None or r.period == period) and dims_key(r.dims) == want
        ]

    def get(self, kpi: str, period: str, account: str = ACCOUNT, **dims: Any) -> Any:
        """The value, or None when there is no such record (e.g. a zero-denominator ratio)."""
        found = [r for r in self.find(kpi, period, **dims) if r.account_id == account]
        assert len(found) <= 1, f"several records for {kpi} {period} {dims}: {found}"
        return found[0].value if found else None

    def value(self, kpi: str, period: str, account: str = ACCOUNT, **dims: Any) -> Any:
        """The value of the one matching record; fails with the candidates when absent."""
        found = self.get(kpi, period, account, **dims)
        if found is None:
            near = [(r.period, r.dims, r.value) for r in self.records if r.kpi == kpi]
            raise AssertionError(f"no record {kpi} {period} {dims}; records of {kpi}: {near}")
        return found

    def series(self, kpi: str, account: str = ACCOUNT) -> dict[str, Any]:
        """period -> value for a KPI without dims."""
        return {
            r.period: r.value
            for r in self.records
            if r.kpi == kpi and r.account_id == account and not r.dims
        }

    def by_dim(self, kpi: str, dim: str, period: str = "total", **dims: Any) -> dict[Any, Any]:
        """dims[dim] -> value for the records of `kpi` matching the other `dims`."""
        out: dict[Any, Any] = {}
        for r in self.records:
            if r.kpi != kpi or r.period != period or dim not in r.dims:
                continue
            if all(r.dims.get(k) == v for k, v in dims.items()):
                out[r.dims[dim]] = r.value
        return out

    def kpis(self) -> set[str]:
        return {r.kpi for r in self.records}


def parse(events: list[Event]) -> list[Any]:
    return [parse_event(json.dumps(e)) for e in events]


def run(
    events: list[Event],
    as_of: str | None = None,
    config: EngineConfig | None = None,
) -> Result:
    """Validate and apply `events` in the given order, evaluate at `as_of` (default: latest)."""
    as_of_us = us(as_of) if as_of is not None else None
    engine = Engine(config=config, apply_until=as_of_us)
    outcomes = [engine.apply(e) for e in parse(events)]
    evaluation = as_of_us if as_of_us is not None else engine.max_event_time
    assert evaluation is not None, "nothing applied and no as_of"
    return Result(engine.evaluate(evaluation), engine, outcomes)


def rendered(result: Result) -> list[dict[str, Any]]:
    """The records as the replay CLI prints them (money as decimal strings)."""
    return [r.to_dict() for r in result.records]
