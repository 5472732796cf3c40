"""Per-account state: small entity records keyed by id, so a table can hold them one by one.

Every mutation goes through `touch(namespace, key)`, which a table-backed store uses to write
each changed entity once per batch; the in-memory store leaves tracking off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

NO_TIME = -(2**62)

# Ad counters, in the order every ad group and report stores them.
AD_FIELDS = ("impressions", "clicks", "video_views", "sends", "opens", "leads", "conversions")
AD_EVENT_FIELD = {
    "ad.impression": 0,
    "ad.click": 1,
    "ad.video_view": 2,
    "ad.send": 3,
    "ad.open": 4,
    "ad.lead": 5,
    "ad.conversion": 6,
}
# Post counters, in the order points, totals and snapshots store them.
POST_FIELDS = ("views", "reactions", "comments", "shares", "clicks")
POST_KIND_INDEX = {"view": 0, "reaction": 1, "comment": 2, "share": 3, "click": 4}


@dataclass(slots=True)
class Invitation:
    sent_at: int | None = None
    outbound: bool = False
    target: bool = False
    invitee: str | None = None
    accepted_at: int | None = None
    withdrawn_at: int | None = None

    def last_time(self) -> int:
        """The latest of its times (NO_TIME when it has none)."""
        last = NO_TIME if self.sent_at is None else self.sent_at
        if self.accepted_at is not None and self.accepted_at > last:
            last = self.accepted_at
        if self.withdrawn_at is not None and self.withdrawn_at > last:
            last = self.withdrawn_at
        return last


@dataclass(slots=True)
class Conversation:
    first_sent_at: int | None = None
    first_received_at: int | None = None
    last_message_at: int | None = None  # keeps an active conversation alive past 90 days

    def started_at(self) -> int | None:
        """Start time when the account's outbound message is the earliest one."""
        sent, received = self.first_sent_at, self.first_received_at
        if sent is not None and (received is None or sent < received):
            return sent
        return None

    def last_time(self) -> int:
        """The latest of its times (NO_TIME when it has none)."""
        last = NO_TIME if self.first_sent_at is None else self.first_sent_at
        if self.first_received_at is not None and self.first_received_at > last:
            last = self.first_received_at
        if self.last_message_at is not None and self.last_message_at > last:
            last = self.last_message_at
        return last


@dataclass(slots=True)
class Post:
    published_at: int | None = None
    format: str | None = None
    # event time -> [views, reactions, comments, shares, clicks] from post.interaction
    points: dict[int, list[int]] = field(default_factory=dict)
    # event time -> counters of one snapshot (None where the snapshot did not carry it)
    snapshots: dict[int, list[int | None]] = field(default_factory=dict)


@dataclass(slots=True)
class Actor:
    days: dict[int, int] = field(default_factory=dict)  # day index -> reactions+comments+shares
    degree_at: int = NO_TIME
    degree: int | None = None


@dataclass(slots=True)
class AdReport:
    occurred_at: int
    event_id: str
    counts: tuple[int | None, ...]
    cost: Decimal


@dataclass(slots=True)
class AdGroup:
    counts: list[int] = field(default_factory=lambda: [0] * len(AD_FIELDS))
    cost: Decimal = Decimal(0)
    report: AdReport | None = None


@dataclass(slots=True)
class Outcome:
    kind: str
    channel: str
    prospect: str
    value: Decimal | None
    currency: str


@dataclass(slots=True)
class AccountState:
    """Everything the engine keeps for one account; each dict is one table namespace."""

    watermark: int = NO_TIME
    seen: dict[str, int] = field(default_factory=dict)  # event_id -> processing time
    invitations: dict[str, Invitation] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    # (metric, day, *dims) -> count; day-bucket counters rolled up to week/month on evaluation
    daily: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    # (day, campaign, creative, format, currency) -> group
    ads: dict[tuple[int, str, str, str, str], AdGroup] = field(default_factory=dict)
    # (day, campaign, creative, format, currency, card_index) -> [impressions, clicks]
    cards: dict[tuple[int, str, str, str, str, int], list[int]] = field(default_factory=dict)
    # field -> (occurred_at, value); ssi is stored under "ssi" as a tuple of six
    profile: dict[str, tuple[int, object]] = field(default_factory=dict)
    # (field, day) -> (occurred_at, value): last value per day, for growth and trends
    profile_days: dict[tuple[str, int], tuple[int, float]] = field(default_factory=dict)
    # occurred_at -> SSI total, every snapshot of the last 32 days: exact trend baselines
    ssi_recent: dict[int, float] = field(default_factory=dict)
    outcomes: dict[str, tuple[int, Outcome]] = field(default_factory=dict)  # event_id -> outcome
    # (day, member id) of prospects contacted (outbound invitation or message)
    contacted: dict[tuple[int, str], int] = field(default_factory=dict)
    # field -> its few latest (occurred_at, value), oldest first: `profile` holds only the
    # newest, this answers "latest at or before as_of" when the newest is after it
    profile_recent: dict[str, tuple[tuple[int, object], ...]] = field(default_factory=dict)
    # live only: event_id -> (occurred_at, event JSON) of events ahead of the clock, applied
    # when it reaches them (`kpis.pending`); a namespace, so the changelog keeps them
    pending: dict[str, tuple[int, str]] = field(default_factory=dict)
    dirty: set[tuple[str, object]] | None = None

    def touch(self, namespace: str, key: object) -> None:
        if self.dirty is not None:
            self.dirty.add((namespace, key))
