"""What the view stores, shaped from records and details (pure: no Redis, no clock).

Record fields and values of ``P{A}:kpis``, the 48-hour curve documents of ``P{A}:curves``,
and the member lists (warm prospects, stale invitations), whose member ids are protected by
`sinks.privacy` before they are shaped: they never reach Redis in clear.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from kpis.timeutil import DAY_US, format_ts, parse_ts
from models.records import KpiRecord, RecordKey, RecordValue
from sinks.privacy import Privacy

SCHEMA_VERSION = 1

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


def compact_json(value: Any) -> str:
    """JSON of a stored document: compact, UTF-8 kept, anything else as its ``str``."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


# --------------------------------------------------------------------------- records


def record_field(record: KpiRecord | RecordKey) -> str:
    """Hash field of a record: ``kpi|period|dims`` (dims as compact JSON, sorted keys)."""
    return f"{record.kpi}|{record.period}|{dims_json(record.dims)}"


def dims_json(dims: Mapping[str, str | int]) -> str:
    return json.dumps(dims, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def view_as_of(meta: Mapping[str, Any], worker: Mapping[str, Any] | None) -> str | None:
    """The time the account's records hold at: a worker rewrites only what changed, so the
    newer of the account's last publication (`meta`) and its worker's last evaluation."""
    stamps = [str(t) for t in (meta.get("as_of"), (worker or {}).get("last_evaluation_at")) if t]
    return max(stamps, key=parse_ts) if stamps else None


def restamp(record: KpiRecord, as_of: str | None) -> KpiRecord:
    """A stored record with the view's `as_of` (its own is when its value last changed)."""
    return record if as_of is None or record.as_of == as_of else record._replace(as_of=as_of)


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


# --------------------------------------------------------------------------- member lists


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

    def pending_at(self, as_of: str | None) -> StaleInvitationEntry:
        """`days_pending` at the view's `as_of` (the list is rewritten only when it changes)."""
        if as_of is None or self.sent_at is None:
            return self
        days = max(0, (parse_ts(as_of) - parse_ts(self.sent_at)) // DAY_US)
        return self if days == self.days_pending else replace(self, days_pending=days)


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


def has_member_lists(details: Any) -> bool:
    """Whether the details hold warm prospects or stale invitations."""
    return bool(
        _details_list(details, "warm_prospects")
        or _details_list(details, "stale_invitations", "stale_pending_invitations")
    )


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


# --------------------------------------------------------------------------- curves


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
