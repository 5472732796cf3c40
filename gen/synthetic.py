"""Deterministic, realistic synthetic event stream for the wire contract v1 (shared/SPEC.md).

`generate_events(seed, accounts, days, start, events_target)` yields event dicts in *arrival*
order: roughly by `occurred_at`, with a share of late (out-of-order) deliveries, exact
re-sent duplicates and, on request, invalid lines. The same arguments always give the same
stream, byte for byte once written by `write_events` (ids are `f"{account}-{n:07d}"`).

What one account does per day (weekends are quieter):
- invitations: 20-80 outbound, accepted at 26-40 % after hours to days (lognormal delays),
  a share of the never-accepted ones withdrawn 21-35 days after sending, a few inbound
  ones (mostly accepted), a few acceptances of invitations sent before tracking began, and,
  on the first day, an import of old invitations still pending (so stale ones exist);
- posts: a few per week, format mix, each with a 48-hour decaying engagement curve (some
  posts are long-lived) observed as `post.interaction` events (views and clicks aggregated
  per hour with `count`; reactions, comments and shares one by one with an `actor_id` drawn
  from a Zipf-like pool of members, so a loyal core becomes warm prospects) and, for some
  posts, as periodic cumulative `post.snapshot`s instead of the aggregated views;
- messages: conversations started by the account (thank-you notes after acceptances,
  prospecting) with replies for ~20-30 % after minutes to days, follow-ups, and a few
  conversations started by the other side;
- ads: campaigns with creatives of several formats (carousel cards carry `card_index`),
  hourly aggregated impressions with their cost, clicks, video views, sends/opens, leads
  and conversions, plus `ad.daily_report`s the next morning that LinkedIn restates later,
  sometimes twice;
- one `profile.snapshot` (connections, followers, SSI components and ranks), and now and
  then an `outcome.recorded` from the CRM (a lead -> meeting -> proposal -> customer
  funnel, a few churns).

Timestamps are RFC 3339, mostly `Z`, some with `+02:00` (and rarely `+05:30` / `-05:00`);
precision depends on the collector (microseconds, milliseconds or seconds).
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import heapq
import json
import math
import random
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any, TextIO, get_args

from models.events import EVENT_MODELS

Event = dict[str, Any]

US = 1_000_000
MS = 1_000
MINUTE = 60 * US
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
DEFAULT_START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday

# An invalid line that is not a JSON object travels as {RAW_LINE: "the text"}.
RAW_LINE = "__raw_line__"
INVALID_KINDS = (
    "malformed_json",
    "wrong_type",
    "missing_field",
    "no_offset",
    "numeric_time",
    "unknown_type",
    "out_of_range",
)
# Rough lines per account and day with the default personas; used to size `days` from a
# target number of events.
EVENTS_PER_ACCOUNT_DAY = 260.0

POST_FORMATS = ("text", "image", "video", "document", "carousel", "poll", "article", "event")
POST_FORMAT_WEIGHTS = (0.24, 0.30, 0.12, 0.12, 0.08, 0.07, 0.05, 0.02)
POST_FORMAT_REACH = {
    "text": 0.9,
    "image": 1.0,
    "video": 1.2,
    "document": 1.5,
    "carousel": 1.3,
    "poll": 1.6,
    "article": 0.6,
    "event": 0.5,
}
CHANNELS = ("organic", "messages", "ads", "other")
CHANNEL_WEIGHTS = (0.35, 0.35, 0.2, 0.1)
AD_FORMATS = ("sponsored_content", "video", "carousel", "message", "text", "dynamic")
AD_FORMAT_WEIGHTS = (0.32, 0.2, 0.2, 0.12, 0.08, 0.08)

# Collectors: (source name, timestamp precision in microseconds).
EXTENSION = ("li-extension/3.4.1", 1)
EXTENSION_MS = ("li-extension/3.4.1", MS)
EXPORT = ("li-export-import", US)
STATS = ("li-stats-poller/1.2", US)
ADS = ("ads-api-poller/2.0", US)
CRM = ("crm-sync/hubspot", US)

# Diurnal shape of ad delivery (hour 0..23, UTC), normalised.
_AD_HOURS = [0.25 + math.exp(-((h - 13.0) ** 2) / 18.0) for h in range(24)]
AD_HOUR_WEIGHTS = [w / sum(_AD_HOURS) for w in _AD_HOURS]

ACTOR_POOL = 30_000
ACTOR_ZIPF_S = 0.95


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """Realism knobs; rates are per generated event."""

    duplicate_rate: float = 0.01  # exact re-sent copies (same line, later)
    late_rate: float = 0.02  # delivered minutes to a day after later events
    invalid_rate: float = 0.0  # extra invalid lines (each carries a valid event's id)
    offset_rate: float = 0.08  # timestamps written with a non-Z offset
    snapshot_post_share: float = 0.35  # posts observed by cumulative snapshots
    long_lived_post_share: float = 0.12  # posts still engaging after 48 h
    ads_account_share: float = 0.6  # accounts that run ads
    backfill_pending: bool = True  # import old pending invitations on the first day
    # account id -> persona field -> value (e.g. {"rep-02": {"acceptance": 0.24}})
    personas: Mapping[str, Mapping[str, float | int | str]] = field(default_factory=dict)


@dataclass(slots=True)
class Persona:
    """How one measured account behaves; drawn per account, overridable in the config."""

    invitations_per_day: float
    acceptance: float
    withdraw_share: float  # of never-accepted outbound invitations
    inbound_per_day: float
    orphan_acceptances_per_day: float
    posts_per_week: float
    post_reach: float  # median views of a post
    messages_per_day: float  # prospecting conversations started
    thank_you_share: float  # of acceptances followed by a message
    reply_rate: float
    inbound_conversations_per_day: float
    ad_campaigns: int
    outcomes_per_day: float
    connections: int
    followers: int
    ssi: float
    currency: str
    ad_formats: str = ""  # comma-separated formats of the campaigns (default: drawn)


def _persona(rng: random.Random, account_id: str, cfg: GeneratorConfig) -> Persona:
    page = account_id.startswith("page-")
    runs_ads = page or rng.random() < cfg.ads_account_share
    persona = Persona(
        invitations_per_day=0.0 if page else rng.uniform(20, 80),
        acceptance=rng.uniform(0.28, 0.42),  # measured 96 h cohorts land near 0.24-0.36
        withdraw_share=rng.uniform(0.2, 0.5),
        inbound_per_day=0.0 if page else rng.uniform(1, 5),
        orphan_acceptances_per_day=0.0 if page else rng.uniform(0.2, 1.2),
        posts_per_week=rng.uniform(4, 7) if page else rng.uniform(1.5, 5),
        post_reach=rng.uniform(600, 3500) * (3 if page else 1),
        messages_per_day=0.0 if page else rng.uniform(4, 15),
        thank_you_share=rng.uniform(0.2, 0.5),
        reply_rate=rng.uniform(0.20, 0.30),
        inbound_conversations_per_day=0.0 if page else rng.uniform(0.5, 3),
        ad_campaigns=(rng.randint(2, 3) if page else rng.randint(1, 2)) if runs_ads else 0,
        outcomes_per_day=rng.uniform(0.3, 2.0),
        connections=0 if page else rng.randint(400, 6000),
        followers=rng.randint(5_000, 40_000) if page else rng.randint(500, 9_000),
        ssi=rng.uniform(35, 80),
        currency="USD" if rng.random() < 0.15 else "EUR",
    )
    for name, value in cfg.personas.get(account_id, {}).items():
        current = getattr(persona, name)  # AttributeError on a typo: wanted
        setattr(persona, name, type(current)(value))
    return persona


# --------------------------------------------------------------------------- helpers


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def _delay(rng: random.Random, median: float, sigma: float, low: float, high: float) -> int:
    """Lognormal delay in microseconds, clipped to [low, high] (all in microseconds)."""
    value = rng.lognormvariate(math.log(median), sigma)
    return int(min(high, max(low, value)))


def _work_time(rng: random.Random) -> int:
    """Offset in a UTC day of a person's activity: mostly office hours, sometimes any time."""
    hours = rng.triangular(7.0, 19.5, 10.5) if rng.random() < 0.85 else rng.uniform(0, 24)
    return int(hours * HOUR)


def _member(n: int) -> str:
    """A pseudonymous member id; a bijection of n (< 2**32), so distinct n never collide."""
    return f"mbr-{(n * 2654435761 + 0x5BD1E995) % 2**32:08x}"


def _member_degree(n: int) -> int | None:
    bucket = (n * 7919 + 13) % 100
    return 1 if bucket < 45 else 2 if bucket < 80 else 3 if bucket < 94 else None


def _member_is_target(n: int) -> bool:
    return (n * 104729 + 7) % 100 < 25


@lru_cache(maxsize=4)
def _zipf_cumulative(size: int, s: float) -> tuple[float, ...]:
    total, out = 0.0, []
    for rank in range(1, size + 1):
        total += rank**-s
        out.append(total)
    return tuple(out)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def format_occurred(t: int, precision: int, offset_minutes: int) -> str:
    """RFC 3339 for microsecond time `t`, written in the given UTC offset."""
    local = _NAIVE_EPOCH + timedelta(microseconds=t + offset_minutes * MINUTE)
    spec = "seconds" if precision >= US else "milliseconds" if precision >= MS else "microseconds"
    text = local.isoformat(timespec=spec)
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    minutes = abs(offset_minutes)
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def event_line(event: Event) -> str:
    """The JSON line of one generated item (raw text for malformed ones), without newline."""
    raw = event.get(RAW_LINE)
    if isinstance(raw, str):
        return raw
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


@cache
def _required_fields(event_type: str) -> frozenset[str]:
    """The payload fields the contract requires for `event_type` (not the envelope's)."""
    for model in EVENT_MODELS:
        if event_type in get_args(model.model_fields["type"].annotation):
            return frozenset(
                name
                for name, info in model.model_fields.items()
                if info.is_required() and name not in ("event_id", "type", "occurred_at")
            ) - {"account_id"}
    return frozenset()


def make_invalid(event: Event, kind: str) -> Event:
    """A broken variant of a valid event that keeps its `event_id` (the spec's trap)."""
    if kind == "malformed_json":
        text = event_line(event)
        return {RAW_LINE: text[: max(10, len(text) * 2 // 3)]}
    bad = dict(event)
    if kind == "wrong_type":
        if "count" in bad:
            bad["count"] = str(bad["count"])
        else:
            bad["schema_version"] = "1"
    elif kind == "missing_field":
        # A required field: without an optional one the copy would still be valid, a second
        # valid event with the same id whose arrival order would decide which one counts.
        payload = [k for k in bad if k in _required_fields(str(bad["type"]))]
        del bad[payload[-1] if payload else "account_id"]
    elif kind == "no_offset":
        stamp = str(bad["occurred_at"])
        bad["occurred_at"] = stamp[:-1] if stamp.endswith("Z") else stamp[:-6]
    elif kind == "numeric_time":
        bad["occurred_at"] = 1_772_409_600
    elif kind == "unknown_type":
        bad["type"] = "post.deleted"
    elif kind == "out_of_range":
        bad["schema_version"] = 2
    else:
        raise ValueError(f"unknown invalid kind {kind!r}")
    return bad


# --------------------------------------------------------------------------- the stream


class _Stream:
    """Merges every account's events by arrival time (event time plus delivery delays)."""

    def __init__(self, cfg: GeneratorConfig, start: int, end: int) -> None:
        self.cfg = cfg
        self.start = start
        self.end = end
        self.heap: list[tuple[int, int, Event]] = []
        self.seq = 0

    def _push(self, arrival: int, event: Event) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (arrival, self.seq, event))

    def deliver(self, rng: random.Random, t: int, event: Event, arrival: int | None = None) -> None:
        cfg = self.cfg
        if arrival is None:
            arrival = t
            if rng.random() < cfg.late_rate:
                arrival += _delay(rng, 20 * MINUTE, 1.6, 30 * US, 2 * DAY)
        self._push(arrival, event)
        if rng.random() < cfg.duplicate_rate:
            self._push(arrival + _delay(rng, 5 * MINUTE, 2.0, US, DAY), event)
        if cfg.invalid_rate and rng.random() < cfg.invalid_rate:
            kind = rng.choice(INVALID_KINDS)
            self._push(arrival + rng.randint(-MINUTE, MINUTE), make_invalid(event, kind))

    def pop_until(self, limit: int | None) -> Iterator[Event]:
        heap = self.heap
        while heap and (limit is None or heap[0][0] < limit):
            yield heapq.heappop(heap)[2]


@dataclass(slots=True)
class _Creative:
    campaign_id: str
    creative_id: str
    format: str
    daily: float  # impressions (sends for message ads) per day
    ctr: float
    unit_cost_cents: float  # per 1000 impressions, or per send for message ads
    video_rate: float
    open_rate: float
    lead_rate: float
    conversion_rate: float
    card_weights: tuple[float, ...]  # carousel: share of impressions per card
    card_ctr: tuple[float, ...]


@dataclass(slots=True)
class _Post:
    post_id: str
    published: int
    views: list[tuple[int, int]] = field(default_factory=list)  # (time, count)
    interactions: list[tuple[int, int]] = field(default_factory=list)  # (time, kind index)


class _Account:
    """One measured profile or page: its persona, counters and pending future activity."""

    def __init__(self, stream: _Stream, account_id: str, index: int, seed: int) -> None:
        self.stream = stream
        self.id = account_id
        self.index = index
        self.rng = random.Random(f"socialkpi-gen:{seed}:{account_id}")
        self.p = _persona(self.rng, account_id, stream.cfg)
        self.n = 0  # event counter (ids)
        self.counters: dict[str, int] = {}
        self.member_base = (index + 1) << 22
        self.accepted_by_day: dict[int, int] = {}
        self.targets_by_day: dict[int, int] = {}
        formats = [f for f in self.p.ad_formats.split(",") if f]
        self.creatives = [
            c for i in range(self.p.ad_campaigns) for c in self._campaign(formats[i : i + 1])
        ]
        rng = self.rng
        ssi_part = self.p.ssi / 4
        self.ssi = [min(25.0, max(1.0, ssi_part + rng.uniform(-3, 3))) for _ in range(4)]
        self.followers = float(self.p.followers)
        self.profile_views = rng.randint(80, 1500)
        self.target_first = int(self.p.connections * rng.uniform(0.05, 0.2))

    # ---- ids and emission

    def _next(self, kind: str) -> int:
        n = self.counters.get(kind, 0) + 1
        self.counters[kind] = n
        return n

    def _emit(
        self,
        t: int,
        type_: str,
        collector: tuple[str, int],
        payload: dict[str, Any],
        arrival: int | None = None,
    ) -> str | None:
        stream = self.stream
        if t > stream.end:
            return None  # beyond the generated horizon
        source, precision = collector
        t -= t % precision
        rng = self.rng
        offset = 0
        if rng.random() < stream.cfg.offset_rate:
            offset = 120 if rng.random() < 0.85 else rng.choice((330, -300))
        self.n += 1
        event_id = f"{self.id}-{self.n:07d}"
        event: Event = {
            "event_id": event_id,
            "type": type_,
            "occurred_at": format_occurred(t, precision, offset),
            "account_id": self.id,
            "schema_version": 1,
            "source": source,
        }
        event.update(payload)
        stream.deliver(rng, t, event, arrival)
        return event_id

    def _actor(self) -> int:
        """A member index from the account's audience, Zipf-like (rank 0 most engaged)."""
        cumulative = _zipf_cumulative(ACTOR_POOL, ACTOR_ZIPF_S)
        return bisect.bisect_left(cumulative, self.rng.random() * cumulative[-1])

    # ---- one day

    def day(self, day_start: int, first: bool) -> None:
        weekday = (day_start // DAY + 3) % 7  # 1970-01-01 was a Thursday
        busy = 1.0 if weekday < 5 else 0.25
        if first and self.stream.cfg.backfill_pending and self.p.invitations_per_day:
            self._backfill(day_start)
        self._invitations(day_start, busy)
        self._posts(day_start, weekday)
        self._messages(day_start, busy)
        self._ads(day_start)
        self._profile(day_start)
        self._outcomes(day_start, busy)

    # ---- invitations

    def _backfill(self, day_start: int) -> None:
        rng, p = self.rng, self.p
        imported = day_start + rng.randint(HOUR, 3 * HOUR)
        for _ in range(int(p.invitations_per_day * rng.uniform(0.4, 0.9))):
            sent = day_start - rng.randint(22 * DAY, 45 * DAY) + _work_time(rng) % DAY
            inv_id = self._invitation_sent(sent, EXPORT, arrival=imported)
            roll = rng.random()
            if roll < 0.4:  # the rep cleans up: withdraws stale invitations (seed 004)
                when = day_start + rng.randint(2 * HOUR, 10 * DAY)
                self._emit(when, "invitation.withdrawn", EXTENSION_MS, {"invitation_id": inv_id})
            elif roll < 0.46:
                self._accept(day_start + rng.randint(HOUR, 10 * DAY), inv_id, None)

    def _invitation_sent(
        self,
        t: int,
        collector: tuple[str, int],
        arrival: int | None = None,
        member: int | None = None,
        direction: str = "outbound",
    ) -> str:
        rng = self.rng
        if member is None:
            if rng.random() < 0.12:  # invite a member of the engaged audience
                member = self.member_base + self._actor()
            else:
                member = self.member_base + 100_000 + rng.randrange(4_000_000)
        prefix = "inv" if direction == "outbound" else "invin"
        inv_id = f"{prefix}-{self.id}-{self._next(prefix):06d}"
        payload = {
            "invitation_id": inv_id,
            "invitee_id": _member(member),
            "direction": direction,
            "invitee_is_target": _member_is_target(member) or rng.random() < 0.1,
        }
        self._emit(t, "invitation.sent", collector, payload, arrival)
        return inv_id

    def _accept(self, t: int, inv_id: str, member: int | None, target: bool = False) -> None:
        if self._emit(t, "invitation.accepted", EXTENSION_MS, {"invitation_id": inv_id}) is None:
            return
        day = t // DAY
        self.accepted_by_day[day] = self.accepted_by_day.get(day, 0) + 1
        if target:
            self.targets_by_day[day] = self.targets_by_day.get(day, 0) + 1
        if member is not None and self.rng.random() < self.p.thank_you_share:
            start = t + _delay(self.rng, 2 * HOUR, 1.2, 2 * MINUTE, 3 * DAY)
            self._conversation(start, member, outbound=True)

    def _invitations(self, day_start: int, busy: float) -> None:
        rng, p = self.rng, self.p
        for _ in range(_poisson(rng, p.invitations_per_day * busy)):
            t = day_start + _work_time(rng)
            if rng.random() < 0.12:
                member = self.member_base + self._actor()
            else:
                member = self.member_base + 100_000 + rng.randrange(4_000_000)
            inv_id = self._invitation_sent(t, EXTENSION, member=member)
            roll = rng.random()
            if roll < p.acceptance:
                delay = _delay(rng, 6 * HOUR, 1.3, 4 * MINUTE, 25 * DAY)
                self._accept(t + delay, inv_id, member, _member_is_target(member))
            elif roll < p.acceptance + (1 - p.acceptance) * p.withdraw_share:
                when = t + rng.randint(21 * DAY, 35 * DAY)
                self._emit(when, "invitation.withdrawn", EXTENSION_MS, {"invitation_id": inv_id})
        for _ in range(_poisson(rng, p.inbound_per_day)):
            t = day_start + rng.randrange(DAY)
            member = self.member_base + 100_000 + rng.randrange(4_000_000)
            inv_id = self._invitation_sent(t, EXTENSION, member=member, direction="inbound")
            if rng.random() < 0.75:
                delay = _delay(rng, 6 * HOUR, 1.3, 10 * MINUTE, 12 * DAY)
                self._accept(t + delay, inv_id, None)
        for _ in range(_poisson(rng, p.orphan_acceptances_per_day)):
            t = day_start + _work_time(rng)
            inv_id = f"inv-{self.id}-pre{self._next('orphan'):05d}"  # sent before tracking
            self._accept(t, inv_id, None)

    # ---- posts

    def _posts(self, day_start: int, weekday: int) -> None:
        rng, p = self.rng, self.p
        chance = p.posts_per_week / 5 if weekday < 5 else 0.08
        while chance > 0:
            if rng.random() < min(chance, 1.0):
                hours = rng.choice(
                    (rng.uniform(7, 10), rng.uniform(11.5, 13.5), rng.uniform(16, 18))
                )
                self._post(day_start + int(hours * HOUR))
            chance -= 1.0

    def _post(self, published: int) -> None:
        rng, p, cfg = self.rng, self.p, self.stream.cfg
        n = self._next("post")
        post_id = f"urn:li:activity:7{self.index:04d}{n:06d}{rng.randrange(10**8):08d}"
        fmt = rng.choices(POST_FORMATS, POST_FORMAT_WEIGHTS)[0]
        self._emit(published, "post.published", EXTENSION_MS, {"post_id": post_id, "format": fmt})
        views = rng.lognormvariate(math.log(p.post_reach * POST_FORMAT_REACH[fmt]), 0.8)
        tau = rng.uniform(4.0, 12.0) * HOUR
        long_lived = rng.random() < cfg.long_lived_post_share
        horizon = 48 * HOUR
        truncation = 1 - math.exp(-horizon / tau)

        def offset() -> int:
            if long_lived and rng.random() < 0.15:
                return rng.randint(horizon, 30 * DAY)
            return int(-tau * math.log(1 - rng.random() * truncation))

        post = _Post(post_id, published)
        # Views: expected per hour from the curve, then aggregated per hour by the collector.
        for hour in range(48):
            share = math.exp(-hour * HOUR / tau) - math.exp(-(hour + 1) * HOUR / tau)
            count = _poisson(rng, views * share / truncation * (0.85 if long_lived else 1.0))
            if count:
                post.views.append((published + hour * HOUR + rng.randrange(HOUR), count))
        if long_lived:
            for day in range(2, 30):
                count = _poisson(rng, views * 0.15 / 28)
                if count:
                    post.views.append((published + day * DAY + rng.randrange(DAY), count))
        reaction_rate = rng.uniform(0.015, 0.045) * (1.5 if fmt == "poll" else 1.0)
        reactions = _poisson(rng, views * reaction_rate)
        comments = _poisson(rng, reactions * rng.uniform(0.12, 0.3))
        shares = _poisson(rng, reactions * rng.uniform(0.03, 0.1))
        clicks = _poisson(rng, views * (0.02 if fmt in ("article", "document", "event") else 0.004))
        for kind, total in ((1, reactions), (2, comments), (3, shares), (4, clicks)):
            for _ in range(total):
                post.interactions.append((published + offset(), kind))
        post.interactions.sort()
        snapshots = rng.random() < cfg.snapshot_post_share
        self._post_interactions(post, with_counters=not snapshots)
        if snapshots:
            self._post_snapshots(post, long_lived)

    def _post_interactions(self, post: _Post, with_counters: bool) -> None:
        rng = self.rng
        pid = post.post_id
        if with_counters:
            for t, count in post.views:
                payload = {"post_id": pid, "kind": "view", "count": count}
                self._emit(t, "post.interaction", EXTENSION_MS, payload)
        clicks_by_hour: dict[int, int] = {}
        for t, kind in post.interactions:
            if kind == 4:
                slot = (t - post.published) // HOUR
                clicks_by_hour[slot] = clicks_by_hour.get(slot, 0) + 1
                continue
            member = self.member_base + self._actor()
            payload = {
                "post_id": pid,
                "kind": ("view", "reaction", "comment", "share")[kind],
                "actor_id": _member(member),
                "actor_degree": _member_degree(member),
            }
            if _member_is_target(member):
                payload["actor_is_target"] = True
            self._emit(t, "post.interaction", EXTENSION_MS, payload)
        if with_counters:
            for slot, count in sorted(clicks_by_hour.items()):
                t = post.published + slot * HOUR + HOUR - rng.randint(US, 5 * MINUTE)
                payload = {"post_id": pid, "kind": "click", "count": count}
                self._emit(t, "post.interaction", EXTENSION_MS, payload)

    def _post_snapshots(self, post: _Post, long_lived: bool) -> None:
        rng = self.rng
        times = [post.published + k * 2 * HOUR + rng.randrange(10 * MINUTE) for k in range(1, 25)]
        times += [post.published + d * DAY + rng.randrange(HOUR) for d in range(3, 8)]
        if long_lived:
            times += [post.published + d * DAY + rng.randrange(HOUR) for d in range(8, 31, 2)]
        views = sorted(post.views)
        removed = 0  # LinkedIn removes spam reactions: a later snapshot can be lower
        vi = ii = 0
        totals = [0, 0, 0, 0, 0]
        for t in times:
            while vi < len(views) and views[vi][0] <= t:
                totals[0] += views[vi][1]
                vi += 1
            while ii < len(post.interactions) and post.interactions[ii][0] <= t:
                totals[post.interactions[ii][1]] += 1
                ii += 1
            if totals[1] > removed + 3 and rng.random() < 0.03:
                removed += 1
            payload: dict[str, Any] = {"post_id": post.post_id, "views": totals[0]}
            payload["reactions"] = totals[1] - removed
            payload["comments"] = totals[2]
            payload["shares"] = totals[3]
            if totals[4] or rng.random() < 0.5:
                payload["clicks"] = totals[4]
            self._emit(t, "post.snapshot", STATS, payload)

    # ---- messages

    def _messages(self, day_start: int, busy: float) -> None:
        rng, p = self.rng, self.p
        for _ in range(_poisson(rng, p.messages_per_day * busy)):
            if rng.random() < 0.5:
                member = self.member_base + self._actor()
            else:
                member = self.member_base + 100_000 + rng.randrange(4_000_000)
            self._conversation(day_start + _work_time(rng), member, outbound=True)
        for _ in range(_poisson(rng, p.inbound_conversations_per_day)):
            member = self.member_base + 100_000 + rng.randrange(4_000_000)
            self._conversation(day_start + rng.randrange(DAY), member, outbound=False)

    def _message(self, t: int, conv_id: str, member: int, outbound: bool) -> None:
        msg_id = f"msg-{self.id}-{self._next('msg'):07d}"
        if outbound:
            payload = {"conversation_id": conv_id, "message_id": msg_id}
            payload["recipient_id"] = _member(member)
            self._emit(t, "message.sent", EXTENSION, payload)
        else:
            payload = {"conversation_id": conv_id, "message_id": msg_id}
            payload["sender_id"] = _member(member)
            self._emit(t, "message.received", EXTENSION, payload)

    def _conversation(self, t: int, member: int, outbound: bool) -> None:
        rng, p = self.rng, self.p
        conv_id = f"conv-{self.id}-{self._next('conv'):06d}"
        self._message(t, conv_id, member, outbound)
        if outbound:
            answered = rng.random() < p.reply_rate
            if not answered and rng.random() < 0.35:  # polite follow-up a few days later
                t += rng.randint(3 * DAY, 6 * DAY)
                self._message(t, conv_id, member, True)
                answered = rng.random() < p.reply_rate * 0.4
            if not answered:
                return
            t += _delay(rng, 3 * HOUR, 1.7, 2 * MINUTE, 12 * DAY)
            self._message(t, conv_id, member, False)
        elif rng.random() < 0.8:
            t += _delay(rng, 2 * HOUR, 1.3, 3 * MINUTE, 5 * DAY)
            self._message(t, conv_id, member, True)
        else:
            return
        direction = not outbound  # next message goes the other way
        for _ in range(3):
            if rng.random() > 0.5:
                break
            direction = not direction
            t += _delay(rng, 90 * MINUTE, 1.5, MINUTE, 4 * DAY)
            self._message(t, conv_id, member, direction)

    # ---- ads

    def _campaign(self, forced: list[str]) -> list[_Creative]:
        rng = self.rng
        fmt = rng.choices(AD_FORMATS, AD_FORMAT_WEIGHTS)[0]
        if forced:
            fmt = forced[0]
        campaign_id = (
            f"cmp-{self.index + 1:02d}{self._next('campaign'):02d}{rng.randrange(10**5):05d}"
        )
        out: list[_Creative] = []
        for _ in range(rng.randint(1, 2)):
            creative_id = f"crv-{rng.randrange(10**9):09d}"
            cards: tuple[float, ...] = ()
            card_ctr: tuple[float, ...] = ()
            if fmt == "carousel":
                n = rng.randint(3, 5)
                raw = [0.55**i for i in range(n)]
                cards = tuple(w / sum(raw) for w in raw)
                card_ctr = tuple(rng.uniform(0.003, 0.012) for _ in range(n))
            message = fmt == "message"
            out.append(
                _Creative(
                    campaign_id=campaign_id,
                    creative_id=creative_id,
                    format=fmt,
                    daily=rng.uniform(80, 400) if message else rng.uniform(1500, 9000),
                    ctr=rng.uniform(0.02, 0.06)
                    if message
                    else rng.uniform(0.0004, 0.0015)
                    if fmt == "text"
                    else rng.uniform(0.003, 0.011),
                    unit_cost_cents=rng.uniform(25, 60) if message else rng.uniform(1800, 4500),
                    video_rate=rng.uniform(0.2, 0.4) if fmt == "video" else 0.0,
                    open_rate=rng.uniform(0.4, 0.65) if message else 0.0,
                    lead_rate=rng.uniform(0.04, 0.12) if rng.random() < 0.6 else 0.0,
                    conversion_rate=rng.uniform(0.01, 0.04),
                    card_weights=cards,
                    card_ctr=card_ctr,
                )
            )
        return out

    def _ads(self, day_start: int) -> None:
        for creative in self.creatives:
            totals = self._ad_day(day_start, creative)
            self._ad_reports(day_start, creative, totals)

    def _ad(self, t: int, type_: str, c: _Creative, payload: dict[str, Any]) -> None:
        body: dict[str, Any] = {
            "campaign_id": c.campaign_id,
            "creative_id": c.creative_id,
            "format": c.format,
        }
        body.update(payload)
        if self.p.currency != "EUR" or self.rng.random() < 0.3:
            body["currency"] = self.p.currency  # EUR is the default; some pollers write it
        self._emit(t, type_, ADS, body)

    def _ad_day(self, day_start: int, c: _Creative) -> dict[str, int]:
        rng = self.rng
        totals = dict.fromkeys(("impressions", "clicks", "cost", "video_views"), 0)
        totals.update(dict.fromkeys(("sends", "opens", "leads", "conversions"), 0))
        message = c.format == "message"
        for hour in range(24):
            lam = c.daily * AD_HOUR_WEIGHTS[hour] * rng.uniform(0.8, 1.2)
            slot = day_start + hour * HOUR
            polled = slot + rng.randint(50 * MINUTE, HOUR - 1)  # the poller's hourly read
            clicks = 0
            if message:
                sends = _poisson(rng, lam)
                if not sends:
                    continue
                cents = round(sends * c.unit_cost_cents)
                self._ad(polled, "ad.send", c, {"count": sends, "cost": _money(cents)})
                opens = _poisson(rng, sends * c.open_rate)
                if opens:
                    self._ad(polled, "ad.open", c, {"count": opens})
                clicks = _poisson(rng, opens * c.ctr)
                if clicks:
                    self._ad(polled, "ad.click", c, {"count": clicks})
                totals["sends"] += sends
                totals["opens"] += opens
                totals["cost"] += cents
            elif c.card_weights:
                for card, (weight, ctr) in enumerate(zip(c.card_weights, c.card_ctr, strict=True)):
                    impressions = _poisson(rng, lam * weight)
                    if not impressions:
                        continue
                    cents = round(impressions * c.unit_cost_cents / 1000)
                    payload = {"card_index": card, "count": impressions, "cost": _money(cents)}
                    self._ad(polled, "ad.impression", c, payload)
                    card_clicks = _poisson(rng, impressions * ctr)
                    if card_clicks:
                        payload = {"card_index": card, "count": card_clicks}
                        self._ad(polled, "ad.click", c, payload)
                    totals["impressions"] += impressions
                    totals["cost"] += cents
                    clicks += card_clicks
            else:
                impressions = _poisson(rng, lam)
                if not impressions:
                    continue
                cents = round(impressions * c.unit_cost_cents / 1000)
                self._ad(polled, "ad.impression", c, {"count": impressions, "cost": _money(cents)})
                clicks = _poisson(rng, impressions * c.ctr)
                if clicks:
                    self._ad(polled, "ad.click", c, {"count": clicks})
                if c.video_rate:
                    views = _poisson(rng, impressions * c.video_rate)
                    if views:
                        self._ad(polled, "ad.video_view", c, {"count": views})
                        totals["video_views"] += views
                totals["impressions"] += impressions
                totals["cost"] += cents
            totals["clicks"] += clicks
            for _ in range(clicks):
                if rng.random() < c.lead_rate:
                    self._ad(slot + rng.randrange(HOUR), "ad.lead", c, {})
                    totals["leads"] += 1
                if rng.random() < c.conversion_rate:
                    self._ad(slot + rng.randrange(HOUR), "ad.conversion", c, {})
                    totals["conversions"] += 1
        return totals

    def _ad_reports(self, day_start: int, c: _Creative, totals: dict[str, int]) -> None:
        """Campaign Manager's daily numbers: next morning, then restated (sometimes twice)."""
        rng = self.rng
        if not any(totals.values()):
            return
        date = datetime.fromtimestamp(day_start / US, UTC).date().isoformat()
        when = [day_start + DAY + rng.randint(4 * HOUR, 9 * HOUR)]
        if rng.random() < 0.45:
            when.append(day_start + rng.randint(2 * DAY, 6 * DAY))
            if rng.random() < 0.3:
                when.append(day_start + rng.randint(7 * DAY, 20 * DAY))
        numbers = dict(totals)
        for version, t in enumerate(when):
            if version:  # restatement: invalid clicks filtered, late impressions counted
                dropped = int(numbers["clicks"] * rng.uniform(0, 0.04))
                numbers["clicks"] -= dropped
                numbers["impressions"] += int(numbers["impressions"] * rng.uniform(0, 0.01))
                numbers["cost"] = max(0, numbers["cost"] - dropped * rng.randint(0, 300))
            payload: dict[str, Any] = {
                "date": date,
                "campaign_id": c.campaign_id,
                "creative_id": c.creative_id,
                "format": c.format,
                "currency": self.p.currency,
                "impressions": numbers["impressions"],
                "clicks": numbers["clicks"],
                "cost": _money(numbers["cost"]),
            }
            for name in ("video_views", "sends", "opens", "leads", "conversions"):
                if numbers[name] or (name == "leads" and c.lead_rate):
                    payload[name] = numbers[name]
            self._emit(t, "ad.daily_report", ADS, payload)

    # ---- profile and outcomes

    def _profile(self, day_start: int) -> None:
        rng, p = self.rng, self.p
        today = day_start // DAY
        accepted = sum(n for day, n in self.accepted_by_day.items() if day < today)
        targets = sum(n for day, n in self.targets_by_day.items() if day < today)
        recent = sum(n for day, n in self.accepted_by_day.items() if day == today - 1)
        self.followers += rng.uniform(0, 6) + 0.6 * recent - (rng.random() < 0.3)
        self.profile_views = max(0, self.profile_views + rng.randint(-25, 30))
        for i in range(4):
            self.ssi[i] = min(25.0, max(0.0, self.ssi[i] + rng.gauss(0.02, 0.18)))
        total = sum(self.ssi)
        payload: dict[str, Any] = {}
        if not self.id.startswith("page-"):
            payload["connections"] = p.connections + accepted - rng.randint(0, 2)
            payload["target_in_first_degree"] = self.target_first + targets
            payload["profile_views_90d"] = self.profile_views
            payload["search_appearances_7d"] = rng.randint(20, 400)
        if rng.random() < 0.9 or not payload:  # the poller sometimes misses the followers
            payload["followers"] = int(self.followers)
        if not self.id.startswith("page-"):
            payload["ssi"] = {
                "brand": round(self.ssi[0], 2),
                "people": round(self.ssi[1], 2),
                "insights": round(self.ssi[2], 2),
                "relationships": round(self.ssi[3], 2),
                "industry_rank_pct": round(min(99.0, max(1.0, 105 - total * 1.1)), 1),
                "network_rank_pct": round(min(99.0, max(1.0, 110 - total * 1.2)), 1),
            }
        self._emit(day_start + rng.randint(2 * HOUR, 5 * HOUR), "profile.snapshot", STATS, payload)

    def _outcomes(self, day_start: int, busy: float) -> None:
        """A CRM funnel: leads, some become meetings, proposals, customers (a few churn),
        plus deals already in flight when tracking began."""
        rng, p = self.rng, self.p
        for _ in range(_poisson(rng, p.outcomes_per_day * busy * 0.6)):
            t = day_start + _work_time(rng)
            member = self._prospect()
            channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
            self._outcome(t, "lead", member, channel)
            if rng.random() > 0.45:
                continue
            t += rng.randint(DAY // 2, 6 * DAY)
            self._outcome(t, "meeting", member, channel)
            if rng.random() > 0.5:
                continue
            t += rng.randint(DAY, 6 * DAY)
            value = int(rng.lognormvariate(math.log(6000), 0.7) * 100)
            self._outcome(t, "proposal", member, channel, value)
            if rng.random() > 0.45:
                continue
            t += rng.randint(DAY, 10 * DAY)
            self._outcome(t, "customer_won", member, channel, int(value * rng.uniform(0.8, 1)))
            if rng.random() < 0.06:
                self._outcome(t + rng.randint(20 * DAY, 120 * DAY), "customer_churned", member)
        for _ in range(_poisson(rng, p.outcomes_per_day * busy * 0.1)):
            t = day_start + _work_time(rng)
            value = int(rng.lognormvariate(math.log(6000), 0.7) * 100)
            channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
            self._outcome(t, "customer_won", self._prospect(), channel, value)
        for _ in range(_poisson(rng, p.outcomes_per_day * 0.02)):
            self._outcome(day_start + _work_time(rng), "customer_churned", self._prospect())

    def _prospect(self) -> int:
        if self.rng.random() < 0.6:
            return self.member_base + self._actor()
        return self.member_base + 100_000 + self.rng.randrange(4_000_000)

    def _outcome(
        self, t: int, kind: str, member: int, channel: str = "other", cents: int | None = None
    ) -> None:
        payload: dict[str, Any] = {"kind": kind, "prospect_id": _member(member)}
        payload["channel"] = channel
        if cents is not None:
            payload["value"] = _money(cents)
            payload["currency"] = self.p.currency
        self._emit(t, "outcome.recorded", CRM, payload)


# --------------------------------------------------------------------------- public API


def _start_us(start: datetime | str) -> int:
    moment = datetime.fromisoformat(start) if isinstance(start, str) else start
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    t = (moment - _EPOCH) // timedelta(microseconds=1)
    return t - t % DAY  # whole UTC days


def account_ids(accounts: int | Sequence[str]) -> list[str]:
    """`n` accounts: reps `rep-01`…, the last one the company page when n >= 4."""
    if not isinstance(accounts, int):
        return list(accounts)
    reps = accounts - 1 if accounts >= 4 else accounts
    ids = [f"rep-{i:02d}" for i in range(1, reps + 1)]
    return [*ids, "page-acme"] if accounts >= 4 else ids


def generate_events(
    seed: int = 0,
    accounts: int | Sequence[str] = 3,
    days: int | None = 14,
    start: datetime | str = DEFAULT_START,
    events_target: int | None = None,
    config: GeneratorConfig | None = None,
) -> Iterator[Event]:
    """Yield event dicts in arrival order, deterministically for the same arguments.

    `days` days of activity from `start` (a UTC day); with `days=None` it is sized from
    `events_target`. With `events_target`, the stream stops after that many items
    (duplicates and invalid lines included). Activity scheduled after the last day
    (a later acceptance, a restated report) is cut, as a live collector would not have it
    yet. Items with the `RAW_LINE` key are malformed lines (only with `invalid_rate` > 0).
    """
    cfg = config or GeneratorConfig()
    ids = account_ids(accounts)
    if not ids:
        raise ValueError("at least one account")
    if days is None:
        if events_target is None:
            raise ValueError("days or events_target is required")
        # Generous: generation is lazy and stops at the target anyway.
        days = max(2, math.ceil(events_target / (EVENTS_PER_ACCOUNT_DAY * len(ids)) * 2))
    begin = _start_us(start)
    stream = _Stream(cfg, begin, begin + days * DAY)
    members = [_Account(stream, account_id, i, seed) for i, account_id in enumerate(ids)]
    produced = 0
    for day in range(days):
        day_start = begin + day * DAY
        for account in members:
            account.day(day_start, first=day == 0)
        for event in stream.pop_until(day_start + DAY):
            yield event
            produced += 1
            if events_target is not None and produced >= events_target:
                return
    for event in stream.pop_until(None):
        yield event
        produced += 1
        if events_target is not None and produced >= events_target:
            return


def persona_overrides(
    accounts: int | Sequence[str], **fields: float | int | str
) -> dict[str, dict[str, float | int | str]]:
    """The same persona fields for every account, for `GeneratorConfig.personas` (e.g. a
    fixed `acceptance` probability: measured 96 h cohorts land a little lower, since some
    acceptances come after the window)."""
    return {account: dict(fields) for account in account_ids(accounts)}


def write_events(path: str, events: Iterable[Event]) -> int:
    """Write JSON lines to `path` ('-' = stdout; '.gz' compresses); returns the line count."""
    count = 0
    handle: TextIO
    if path == "-":
        handle = sys.stdout
    elif path.endswith(".gz"):
        handle = gzip.open(path, "wt", encoding="utf-8", compresslevel=6)  # noqa: SIM115
    else:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115
    try:
        batch: list[str] = []
        for event in events:
            batch.append(event_line(event))
            count += 1
            if len(batch) >= 4096:
                handle.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            handle.write("\n".join(batch) + "\n")
    finally:
        if handle is not sys.stdout:
            handle.close()
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gen", description=__doc__)
    parser.add_argument("--out", default="-", help="output file ('-' = stdout, .gz ok)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--days", type=int, help="days of activity (default: from --events)")
    parser.add_argument("--events", type=int, help="stop after this many lines")
    parser.add_argument("--start", default=DEFAULT_START.isoformat(), help="first UTC day")
    parser.add_argument("--duplicate-rate", type=float, default=0.01)
    parser.add_argument("--late-rate", type=float, default=0.02)
    parser.add_argument("--invalid-rate", type=float, default=0.0)
    parser.add_argument(
        "--offset-rate",
        type=float,
        default=GeneratorConfig().offset_rate,
        help="share of timestamps written with a UTC offset other than Z"
        " (mostly +02:00, some +05:30 and -05:00)",
    )
    parser.add_argument("--acceptance", type=float, help="invitation acceptance probability")
    args = parser.parse_args(argv)
    days = args.days if args.days is not None or args.events is not None else 14
    personas = {}
    if args.acceptance is not None:
        personas = persona_overrides(args.accounts, acceptance=args.acceptance)
    cfg = GeneratorConfig(
        duplicate_rate=args.duplicate_rate,
        late_rate=args.late_rate,
        invalid_rate=args.invalid_rate,
        offset_rate=args.offset_rate,
        personas=personas,
    )
    events = generate_events(args.seed, args.accounts, days, args.start, args.events, cfg)
    count = write_events(args.out, events)
    print(f"gen: {count} lines -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "DEFAULT_START",
    "INVALID_KINDS",
    "RAW_LINE",
    "GeneratorConfig",
    "Persona",
    "account_ids",
    "event_line",
    "format_occurred",
    "generate_events",
    "make_invalid",
    "persona_overrides",
    "write_events",
]
