"""Hypothesis strategies: small, realistic, collision-prone LinkedIn event logs as JSON lines.

A log is a few accounts and a few dozen events drawn from small id pools (so that the same
invitation, post, actor, conversation or ad group shows up many times), with event times
inside a span much shorter than every retention (`SPAN_US`, 25 days: long enough for
`stale_pending_invitations`, short enough that nothing is ever late), at microsecond,
second or hour granularity, with exact ties and times one microsecond around hour
boundaries of other events (publications in particular).

Valid events are dicts; `event_id`s are numbered per account (`e0`, `e1`, …), so two
accounts reuse the same ids (duplicates are per account). Distinct events never share an
`event_id` within an account: the only duplicates are exact copies, which is what the
spec calls a re-sent duplicate.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

US = 1_000_000
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US
SPAN_US = 25 * DAY_US

# Bases next to calendar edges: a month end, the ISO week 53 of 2026 and a new year,
# February of a non-leap year.
BASES = [
    datetime(2026, 3, 20, tzinfo=UTC),
    datetime(2026, 12, 14, 7, 30, tzinfo=UTC),
    datetime(2027, 2, 10, 23, tzinfo=UTC),
]
OFFSETS = [
    UTC,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=-3)),
    timezone(timedelta(hours=14)),
]

ACCOUNTS = ["rep-1", "rep-2", "page-9"]
INVITATIONS = [f"inv-{i}" for i in range(6)]
MEMBERS = [f"m-{i}" for i in range(5)]
POSTS = [f"post-{i}" for i in range(3)]
ACTORS = [f"actor-{i}" for i in range(5)]
CONVERSATIONS = [f"conv-{i}" for i in range(4)]
CAMPAIGNS = ["cmp-a", "cmp-b"]
CREATIVES = ["cr-1", "cr-2"]
AD_FORMATS = ["sponsored_content", "carousel"]
CURRENCIES = ["EUR", "USD"]
COSTS = ["0", "1", "0.10", "18.40", "2.5", "0.333333333", "7", "100.000001", "3.14"]

FAMILIES = ("invitations", "content", "messages", "ads", "profile", "outcomes")


@dataclass(frozen=True)
class Log:
    """A generated input: the valid events (as dicts, with their time) and their JSON lines."""

    events: list[dict[str, Any]]
    times: list[int]  # microseconds since epoch, parallel to `events`

    @property
    def lines(self) -> list[str]:
        return [json.dumps(event) for event in self.events]

    @property
    def last_time(self) -> int:
        return max(self.times)


def log_from(events: list[dict[str, Any]]) -> Log:
    """A hand-written log (for `@example`s): valid event dicts in arrival order."""
    times = [_to_us(datetime.fromisoformat(event["occurred_at"])) for event in events]
    return Log(events=events, times=times)


def _invitation_attrs(invitation_id: str) -> dict[str, Any]:
    """Attributes of an invitation are fixed by its id: re-reported sends agree."""
    n = int(invitation_id.rsplit("-", 1)[1])
    return {
        "invitee_id": MEMBERS[n % len(MEMBERS)],
        "direction": "inbound" if n % 3 == 2 else "outbound",
        "invitee_is_target": n % 2 == 0,
    }


_BOOL = st.booleans()
_ints = functools.cache(st.integers)


@functools.cache
def _choice(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)


def pick(draw: st.DrawFn, values: Sequence[Any]) -> Any:
    """One of `values` (the strategy is built once per distinct tuple of values)."""
    return draw(_choice(tuple(values)))


def _offset(draw: st.DrawFn, anchors: list[int], family: str, dense: bool) -> int:
    """An event time, microseconds after the log's base (post events stay near anchors, so
    that their interactions fall inside the 48-hour curve of their publication)."""
    if dense:
        how = pick(draw, ["anchor", "anchor", "dense"])
    elif family == "content":
        how = pick(draw, ["anchor", "anchor", "near", "near", "near", "second", "micro"])
    else:
        how = pick(draw, ["anchor", "near", "near", "second", "micro", "hour"])
    if how == "anchor":
        t = pick(draw, anchors)
    elif how == "near":
        # k whole hours after an anchor, give or take one microsecond / one second.
        k = pick(draw, [0, 0, 1, 1, 2, 3, 5, 23, 24, 47, 48, 48, 49, 96, 24 * 7, 24 * 21])
        t = pick(draw, anchors) + k * HOUR_US
        t += pick(draw, [0, 0, -1, 1, -US, US])
    elif how == "dense":
        t = pick(draw, anchors) + pick(draw, [0, 1, 24, 48, 96]) * HOUR_US
        t += pick(draw, [0, 0, -1, 1])
    elif how == "second":
        t = draw(_ints(0, SPAN_US // US)) * US
    elif how == "micro":
        t = draw(_ints(0, SPAN_US))
    else:
        t = draw(_ints(0, SPAN_US // HOUR_US)) * HOUR_US + pick(draw, [-1, 0, 1])
    return min(max(t, 0), SPAN_US)


def _format_time(base: datetime, offset_us: int, tz: timezone) -> str:
    moment = (base + timedelta(microseconds=offset_us)).astimezone(tz)
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") and tz is UTC else text


def _payload(
    draw: st.DrawFn, family: str, base: datetime, offset: int, pool: int
) -> dict[str, Any]:
    if family == "invitations":
        kind = pick(draw, ["sent", "sent", "sent", "accepted", "accepted", "withdrawn"])
        invitation_id = pick(draw, INVITATIONS[:pool])
        if kind == "sent":
            return {
                "type": "invitation.sent",
                "invitation_id": invitation_id,
                **_invitation_attrs(invitation_id),
            }
        return {"type": f"invitation.{kind}", "invitation_id": invitation_id}
    if family == "content":
        kind = pick(draw, ["published", "interaction", "interaction", "snapshot"])
        post_id = pick(draw, POSTS[:pool])
        if kind == "published":
            fmt = pick(draw, ["text", "image", "video", "carousel"])
            return {"type": "post.published", "post_id": post_id, "format": fmt}
        if kind == "snapshot":
            counters = draw(_SNAPSHOT_COUNTERS)
            return {"type": "post.snapshot", "post_id": post_id, **counters}
        event: dict[str, Any] = {
            "type": "post.interaction",
            "post_id": post_id,
            "kind": pick(draw, ["view", "view", "reaction", "comment", "share", "click"]),
        }
        count = pick(draw, [None, 1, 1, 2, 3, 40])
        if count is not None:
            event["count"] = count
        if draw(_ints(0, 4)):
            event["actor_id"] = pick(draw, ACTORS[:pool])
        degree = pick(draw, ["absent", None, 1, 2, 3])
        if degree != "absent":
            event["actor_degree"] = degree
        if draw(_BOOL):
            event["actor_is_target"] = draw(_BOOL)
        return event
    if family == "messages":
        conversation_id = pick(draw, CONVERSATIONS[:pool])
        member = pick(draw, MEMBERS[:pool])
        message_id = f"msg-{draw(_ints(0, 10**6))}"
        if draw(_BOOL):
            return {
                "type": "message.sent",
                "conversation_id": conversation_id,
                "message_id": message_id,
                "recipient_id": member,
            }
        return {
            "type": "message.received",
            "conversation_id": conversation_id,
            "message_id": message_id,
            "sender_id": member,
        }
    if family == "ads":
        group = {
            "campaign_id": pick(draw, CAMPAIGNS[:pool]),
            "creative_id": pick(draw, CREATIVES[:pool]),
            "format": pick(draw, AD_FORMATS[:pool]),
        }
        if draw(_ints(0, 3)) == 0:
            # the report of a UTC day at or up to 9 days before the moment it is read
            now = base + timedelta(microseconds=offset)
            day = (now - timedelta(days=pick(draw, [0, 0, 1, 2, 9][: pool + 1]))).date()
            report: dict[str, Any] = {
                "type": "ad.daily_report",
                "date": day.isoformat(),
                **group,
                "currency": pick(draw, CURRENCIES[:pool]),
                "impressions": pick(draw, [0, 1, 3, 1000, 4321]),
                "clicks": pick(draw, [0, 1, 2, 17]),
                "cost": pick(draw, COSTS),
            }
            if draw(_BOOL):
                report["video_views"] = draw(_ints(0, 50))
            return report
        event = {
            "type": pick(
                draw,
                [
                    *["ad.impression", "ad.impression", "ad.impression", "ad.click", "ad.click"],
                    *["ad.video_view", "ad.send", "ad.open", "ad.lead", "ad.conversion"],
                ],
            ),
            **group,
        }
        count = pick(draw, [None, 1, 2, 1200])
        if count is not None:
            event["count"] = count
        cost = pick(draw, [None, *COSTS])
        if cost is not None:
            event["cost"] = cost
        currency = pick(draw, [None, *CURRENCIES[:pool]])
        if currency is not None:
            event["currency"] = currency
        if group["format"] == "carousel" and draw(_BOOL):
            event["card_index"] = draw(_ints(0, 2))
        return event
    if family == "outcomes":
        outcome: dict[str, Any] = {
            "type": "outcome.recorded",
            "kind": pick(draw, ["lead", "meeting", "proposal", "customer_won", "customer_churned"]),
            "prospect_id": pick(draw, MEMBERS[:pool]),
            "channel": pick(draw, ["organic", "messages", "ads", "other"]),
        }
        if draw(_BOOL):
            outcome["value"] = pick(draw, COSTS)
        if draw(_BOOL):
            outcome["currency"] = pick(draw, CURRENCIES)
        return outcome
    # profile
    snapshot: dict[str, Any] = {"type": "profile.snapshot"}
    fields = draw(_PROFILE_FIELDS)
    for name in fields:
        if name == "ssi":
            part = _choice((0, 25, 12.5, 3.14, 17.25, 20, 0.1))
            ssi: dict[str, Any] = {
                "brand": draw(part),
                "people": draw(part),
                "insights": draw(part),
                "relationships": draw(part),
            }
            for rank in ("industry_rank_pct", "network_rank_pct"):
                if draw(_BOOL):
                    ssi[rank] = pick(draw, [1, 2.5, 50, 99.9, 100])
            snapshot["ssi"] = ssi
        else:
            snapshot[name] = pick(draw, [0, 10, 500, 501, 1200])
    return snapshot


_SNAPSHOT_COUNTERS = st.dictionaries(
    st.sampled_from(["views", "reactions", "comments", "shares", "clicks"]),
    st.integers(0, 60),
    min_size=1,
)
_PROFILE_FIELDS = st.lists(
    st.sampled_from(
        [
            "connections",
            "followers",
            "profile_views_90d",
            "search_appearances_7d",
            "target_in_first_degree",
            "ssi",
        ]
    ),
    min_size=1,
    unique=True,
)


_FAMILY_SETS = st.one_of(
    st.just(list(FAMILIES)),
    st.lists(st.sampled_from(FAMILIES), min_size=1, max_size=2, unique=True),
)


@st.composite
def event_logs(
    draw: st.DrawFn,
    families: tuple[str, ...] | None = None,
    min_events: int = 1,
    max_events: int = 30,
) -> Log:
    """A log of valid events from the given families (default: a drawn non-empty subset,
    so that a family often gets the whole log to itself and its ids collide more)."""
    if families is None:
        families = tuple(draw(_FAMILY_SETS))
    base = pick(draw, BASES)
    # dense logs: one or two ids per pool and times only at or whole hours from the anchors
    pool = pick(draw, [1, 2, 6, 6, 6])
    dense = pool < 6 and draw(_BOOL)
    accounts = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=3, unique=True))
    anchors = draw(
        st.lists(st.integers(0, SPAN_US // US).map(lambda s: s * US), min_size=1, max_size=3)
    )
    anchors += draw(st.lists(st.integers(0, SPAN_US), max_size=2))
    # each post has a "real" publication time; its events often come whole hours after it
    published_at = {post: pick(draw, anchors) for post in POSTS}
    # at least 0/10/20 events (shrinks to 0), so that families get dense enough
    n = max(draw(_ints(min_events, max_events)), min(max_events, pick(draw, [0, 0, 10, 20])))
    counters = dict.fromkeys(accounts, 0)
    events: list[dict[str, Any]] = []
    times: list[int] = []
    for _ in range(n):
        account = pick(draw, accounts)
        family = pick(draw, families)
        offset = _offset(draw, anchors, family, dense)
        payload = _payload(draw, family, base, offset, pool)
        if family == "content" and pick(draw, [True, True, False]):
            offset = published_at[payload["post_id"]]
            if payload["type"] != "post.published":
                offset += pick(draw, [0, 1, 2, 24, 47, 48, 48, 49, 72]) * HOUR_US
                offset += pick(draw, [0, 0, -1, 1, -US])
            offset = min(max(offset, 0), SPAN_US)
        event = {
            "event_id": f"e{counters[account]}",
            "occurred_at": _format_time(base, offset, pick(draw, OFFSETS)),
            "account_id": account,
            **payload,
        }
        if draw(_ints(0, 5)) == 0:
            event["source"] = "collector-x"
        if draw(_ints(0, 7)) == 0:
            event["unknown_extra_field"] = {"ignored": True}
        counters[account] += 1
        events.append(event)
        times.append(_to_us(base) + offset)
    return Log(events=events, times=times)


def _to_us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


MALFORMED = [
    "{",
    '{"event_id": "e0", "type": "invitation.sent"',
    "not json at all",
    "[1, 2, 3]",
    '"a string"',
    "null",
    "42",
    "{}",
    '{"event_id": "e0", "occurred_at": "2026-03-20T00:00:00Z", "account_id": "rep-1"}',
]


def _broken_copies(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Invalid variants of a valid event that keep its `event_id` and `account_id`."""
    out: list[dict[str, Any]] = []

    def variant(**changes: Any) -> None:
        copy = dict(event)
        for key, value in changes.items():
            if value is _DROP:
                copy.pop(key, None)
            else:
                copy[key] = value
        out.append(copy)

    variant(type="post.deleted")
    variant(type=None)
    variant(type=_DROP)
    variant(occurred_at=1_774_000_000)
    variant(occurred_at="2026-03-20T10:00:00")
    variant(occurred_at="yesterday")
    variant(schema_version=2)
    variant(account_id="")
    variant(account_id=7)
    kind = event["type"]
    if kind.startswith("invitation."):
        variant(invitation_id=12)
        variant(invitation_id=_DROP)
        if kind == "invitation.sent":
            variant(direction="sideways")
            variant(invitee_is_target="yes")
    elif kind == "post.interaction":
        variant(count=0)
        variant(count="3")
        variant(count=1.5)
        variant(kind="like")
    elif kind == "post.snapshot":
        variant(views=-1, reactions=None)
        variant(post_id=_DROP)
    elif kind == "post.published":
        variant(format="gif")
    elif kind.startswith("message."):
        variant(conversation_id=_DROP)
        variant(message_id=5)
    elif kind == "ad.daily_report":
        variant(cost=1.5)
        variant(date="2026-02-30")
        variant(impressions=-3)
    elif kind.startswith("ad."):
        variant(cost="-1")
        variant(card_index=-1)
        variant(currency="euro")
    elif kind == "profile.snapshot":
        variant(connections="500")
        variant(ssi={"brand": 30, "people": 1, "insights": 1, "relationships": 1})
    return out


class _Drop:
    pass


_DROP = _Drop()


@st.composite
def invalid_lines(draw: st.DrawFn, log: Log) -> list[str]:
    """A few invalid lines, some carrying the `event_id` (and account) of a valid event."""
    lines: list[str] = []
    for _ in range(draw(_ints(1, 6))):
        if log.events and draw(_BOOL):
            event = draw(st.sampled_from(log.events))
            lines.append(json.dumps(draw(st.sampled_from(_broken_copies(event)))))
        else:
            lines.append(pick(draw, MALFORMED))
    return lines
