"""Wire contract v1: one pydantic model per event type, one discriminated union on `type`.

Strict on types (an id must be a JSON string, a count a JSON integer, a timestamp an RFC 3339
string with an offset) and lenient on unknown extra fields, as the spec's "Bad input" asks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

EventId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
AccountId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# Other ids are unbounded in the spec; 256 chars bounds state without rejecting real ids.
EntityId = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Count = Annotated[int, Field(ge=1, le=10**12)]
Total = Annotated[int, Field(ge=0, le=10**15)]
# Exact decimal amount >= 0 as a string; no exponent, no sign, so no float ever sneaks in.
Money = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,15}(\.[0-9]{1,9})?$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
# RFC 3339 (date-time with seconds and an offset). pydantic alone would also take
# "1763640000" (Unix seconds in a string), "2026-11-20 12:00Z" or a missing seconds field. A
# few character checks refuse those cheaply (this runs once per event) and the standard
# library parses the rest; its datetime (stdlib tzinfo) also converts faster than pydantic's.
RFC3339_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:[0-5]\d)$"
# Plausible times (spec "Time and windows"): [2000-01-01T00:00:00Z, 2100-01-01T00:00:00Z). A
# typo (9999, 1969) or a wrong collector clock is refused at the door, so no entry point
# hands the engine a time it cannot do calendar arithmetic on.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
END = datetime(2100, 1, 1, tzinfo=UTC)
_IMPLAUSIBLE = "implausible_time"
_RANGE = "must be from 2000-01-01T00:00:00Z and before 2100-01-01T00:00:00Z"


def _rfc3339(value: object) -> datetime:
    """Only RFC 3339 strings; fractions beyond microseconds are cut (the engine keeps us)."""
    if type(value) is not str:
        raise ValueError("must be an RFC 3339 timestamp string with an offset")
    # Shape checks the standard library skips: the offset is Z or +hh:mm with mm < 60 (no
    # seconds), and the seconds are followed by the offset or by "." and 1 to 9 digits.
    size = len(value)
    if size < 20:
        body = 0
    elif value[-1] == "Z":
        body = size - 1
    elif value[-3] == ":" and value[-6] in "+-" and value[-2] < "6":
        body = size - 6
    else:
        body = 0
    if (
        (body != 19 and not (21 <= body <= 29 and value[19] == "."))
        or value[4:17:3] != "--T::"  # the characters at 4, 7, 10, 13 and 16
    ):
        raise ValueError("not an RFC 3339 timestamp with seconds and an offset")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not a valid RFC 3339 timestamp") from None
    if moment.tzinfo is None:  # the same error as pydantic's AwareDatetime
        raise PydanticCustomError("timezone_aware", "Input should have timezone info")
    year = moment.year
    # One comparison in the usual case; an offset moves the UTC year only near Jan 1, and
    # years far out are refused before an aware comparison could overflow.
    if not 2000 < year < 2099 and (year < 1999 or year > 2100 or not EARLIEST <= moment < END):
        raise PydanticCustomError(_IMPLAUSIBLE, f"implausible time: {_RANGE}")
    return moment


def _plausible_day(day: date) -> date:
    """A payload's UTC day, in the same range as every event time."""
    if not 2000 <= day.year < 2100:
        raise PydanticCustomError(_IMPLAUSIBLE, f"implausible date: {_RANGE}")
    return day


class _Rfc3339:
    """The validator above is the whole validation (a plain validator, not a "before" one
    followed by pydantic's datetime check of its result: that second pass cost ~0.7 us per
    event); serialized as any datetime."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _rfc3339, serialization=core_schema.simple_ser_schema("datetime")
        )


Timestamp = Annotated[
    datetime,
    _Rfc3339,
    WithJsonSchema({"format": "date-time", "pattern": RFC3339_PATTERN, "type": "string"}),
]

UtcDay = Annotated[date, AfterValidator(_plausible_day)]

PostFormat = Literal["text", "image", "video", "document", "carousel", "poll", "article", "event"]
AdFormat = Literal[
    "text", "sponsored_content", "video", "carousel", "message", "conversation", "dynamic"
]


class Envelope(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    event_id: EventId
    occurred_at: Timestamp
    account_id: AccountId
    schema_version: Literal[1] = 1
    source: Annotated[str, StringConstraints(max_length=200)] | None = None


class PostPublished(Envelope):
    type: Literal["post.published"]
    post_id: EntityId
    format: PostFormat


class PostInteraction(Envelope):
    type: Literal["post.interaction"]
    post_id: EntityId
    kind: Literal["view", "reaction", "comment", "share", "click"]
    count: Count = 1
    actor_id: EntityId | None = None
    actor_degree: Literal[1, 2, 3] | None = None
    actor_is_target: bool = False


class PostSnapshot(Envelope):
    type: Literal["post.snapshot"]
    post_id: EntityId
    views: Total | None = None
    reactions: Total | None = None
    comments: Total | None = None
    shares: Total | None = None
    clicks: Total | None = None

    @model_validator(mode="after")
    def _has_a_counter(self) -> PostSnapshot:
        if all(
            v is None for v in (self.views, self.reactions, self.comments, self.shares, self.clicks)
        ):
            raise ValueError("a post.snapshot needs at least one counter")
        return self


class InvitationSent(Envelope):
    type: Literal["invitation.sent"]
    invitation_id: EntityId
    invitee_id: EntityId
    direction: Literal["outbound", "inbound"]
    invitee_is_target: bool = False


class InvitationAccepted(Envelope):
    type: Literal["invitation.accepted"]
    invitation_id: EntityId


class InvitationWithdrawn(Envelope):
    type: Literal["invitation.withdrawn"]
    invitation_id: EntityId


class MessageSent(Envelope):
    type: Literal["message.sent"]
    conversation_id: EntityId
    message_id: EntityId
    recipient_id: EntityId


class MessageReceived(Envelope):
    type: Literal["message.received"]
    conversation_id: EntityId
    message_id: EntityId
    sender_id: EntityId


AdEventType = Literal[
    "ad.impression", "ad.click", "ad.video_view", "ad.send", "ad.open", "ad.lead", "ad.conversion"
]


class AdEvent(Envelope):
    """Incremental ad delivery event; `cost` is the event's total, never multiplied by count."""

    type: AdEventType
    campaign_id: EntityId
    creative_id: EntityId
    format: AdFormat
    card_index: Annotated[int, Field(ge=0, le=1000)] | None = None
    count: Count = 1
    cost: Money = "0"
    currency: Currency = "EUR"


class AdDailyReport(Envelope):
    """Absolute totals of one UTC day; the latest report of a group replaces everything else."""

    type: Literal["ad.daily_report"]
    date: UtcDay
    campaign_id: EntityId
    creative_id: EntityId
    format: AdFormat
    currency: Currency
    impressions: Total
    clicks: Total
    cost: Money
    video_views: Total | None = None
    sends: Total | None = None
    opens: Total | None = None
    leads: Total | None = None
    conversions: Total | None = None


SsiScore = Annotated[float, Field(ge=0, le=25, allow_inf_nan=False)]
RankPct = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


class Ssi(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    brand: SsiScore
    people: SsiScore
    insights: SsiScore
    relationships: SsiScore
    industry_rank_pct: RankPct | None = None
    network_rank_pct: RankPct | None = None


class ProfileSnapshot(Envelope):
    type: Literal["profile.snapshot"]
    connections: Total | None = None
    followers: Total | None = None
    profile_views_90d: Total | None = None
    search_appearances_7d: Total | None = None
    target_in_first_degree: Total | None = None
    ssi: Ssi | None = None

    @model_validator(mode="after")
    def _has_a_field(self) -> ProfileSnapshot:
        if all(getattr(self, name) is None for name in PROFILE_FIELDS) and self.ssi is None:
            raise ValueError("a profile.snapshot needs at least one field")
        return self


PROFILE_FIELDS = (
    "connections",
    "followers",
    "profile_views_90d",
    "search_appearances_7d",
    "target_in_first_degree",
)


class OutcomeRecorded(Envelope):
    type: Literal["outcome.recorded"]
    kind: Literal["lead", "meeting", "proposal", "customer_won", "customer_churned"]
    prospect_id: EntityId
    channel: Literal["organic", "messages", "ads", "other"]
    value: Money | None = None
    currency: Currency = "EUR"


Event = Annotated[
    PostPublished
    | PostInteraction
    | PostSnapshot
    | InvitationSent
    | InvitationAccepted
    | InvitationWithdrawn
    | MessageSent
    | MessageReceived
    | AdEvent
    | AdDailyReport
    | ProfileSnapshot
    | OutcomeRecorded,
    Field(discriminator="type"),
]

EVENT_MODELS: tuple[type[Envelope], ...] = (
    PostPublished,
    PostInteraction,
    PostSnapshot,
    InvitationSent,
    InvitationAccepted,
    InvitationWithdrawn,
    MessageSent,
    MessageReceived,
    AdEvent,
    AdDailyReport,
    ProfileSnapshot,
    OutcomeRecorded,
)

__all__ = ["EVENT_MODELS", "Event", "datetime"]
