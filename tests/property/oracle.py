"""Brute-force reference implementation of the KPI catalog (the test oracle).

Written from `/work/shared/SPEC.md` and `docs/kpis.md` alone, deliberately naive: keep the
full list of deduplicated valid events at or before `as_of`, and recompute every KPI from
scratch with its direct definition (filters and sums over that list). Nothing is
incremental, nothing is pruned: retention and lateness are ignored, so the inputs must keep
every event time well inside every retention (the strategies use a 25-day span).

`oracle(events, as_of)` takes validated events (the pydantic objects of
`models.parse_event`) and returns `{(account_id, kpi, period, dims): value}` where `dims` is
a sorted tuple of `(name, str(value))` and `value` is an `int`, a `float` or a `Decimal`.

Readings of points the documents leave open (checked against the engine, which agrees):
- a family's records exist only for accounts with an event of that family at or before
  `as_of`; the rolling counts of invitations (24h, 96h cohort), `stale_pending_invitations`,
  `orphan_acceptances` and the reply cohorts are then emitted with zeros; the 8 actor
  buckets only for accounts with a reaction/comment/share carrying an `actor_id`;
- `post_long_lived`: the interaction total (sum of the four counters) grew at some instant
  48 h or more after publication (a snapshot moving reactions -7 / comments +7 is no growth);
- orphan acceptances and `new_connections` count distinct `invitation_id`s, acceptance time
  = the earliest acceptance; a withdrawal followed (or preceded) by an acceptance is accepted;
- growth's "period's first value" is the value at the period's first instant;
- carousel card records exist for card indices of `ad.impression` / `ad.click` events;
- `conversion_rate` exists for periods holding both contacts and outcome events;
- an `ad.daily_report` is for a day at or before its `occurred_at` (the strategies never
  date a report in the future; the engine shows a day's records only once `as_of` has
  reached that day, which the oracle does not model).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

US = 1_000_000
HOUR = 3600 * US
DAY = 24 * HOUR
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Dims = tuple[tuple[str, str], ...]
Key = tuple[str, str, str, Dims]
Value = int | float | Decimal

INTERACTION_COUNTERS = ("reactions", "comments", "shares", "clicks")
POST_COUNTERS = ("views", *INTERACTION_COUNTERS)
KIND_TO_COUNTER = {
    "view": "views",
    "reaction": "reactions",
    "comment": "comments",
    "share": "shares",
    "click": "clicks",
}
PROFILE_INTS = (
    "connections",
    "followers",
    "profile_views_90d",
    "search_appearances_7d",
    "target_in_first_degree",
)
SSI_PARTS = ("brand", "people", "insights", "relationships")
BUCKETS = ("1", "2", "3", "4", "5", "6-9", "10-24", "25+")
OUTCOME_KPIS = {
    "lead": "leads",
    "meeting": "meetings",
    "proposal": "proposals",
    "customer_won": "customers_won",
    "customer_churned": "customers_churned",
}
AD_EXTRA = {  # incremental type -> daily_report field and KPI suffix
    "ad.video_view": "video_views",
    "ad.send": "sends",
    "ad.open": "opens",
    "ad.lead": "leads",
    "ad.conversion": "conversions",
}

# Everything the oracle emits; the comparison is restricted to these names.
COVERED_KPIS = frozenset(
    {
        "invitations_sent",
        "invitation_cohort_sent",
        "invitation_cohort_accepted",
        "invitation_cohort_withdrawn",
        "invitation_cohort_pending",
        "invitation_acceptance_rate",
        "stale_pending_invitations",
        "orphan_acceptances",
        "new_connections",
        "target_share_of_new_connections",
        *PROFILE_INTS,
        "ssi_total",
        *(f"ssi_{part}" for part in SSI_PARTS),
        "ssi_industry_rank_pct",
        "ssi_network_rank_pct",
        "posts_published",
        *(f"post_{counter}" for counter in POST_COUNTERS),
        "post_interactions",
        "post_engagement_rate",
        "post_hourly_views",
        "post_hourly_interactions",
        "post_cumulative_views",
        "post_cumulative_interactions",
        "post_long_lived",
        "actors_by_interaction_count",
        "warm_prospects",
        "warm_prospects_to_invite",
        "messages_sent",
        "conversations_started",
        "reply_cohort_started",
        "reply_cohort_replied",
        "reply_rate",
        "time_to_first_reply_seconds",
        "ad_impressions",
        "ad_clicks",
        "ad_spend",
        "ad_ctr",
        "ad_cpm",
        "ad_cpc",
        *(f"ad_{name}" for name in ("video_views", "sends", "opens", "leads", "conversions")),
        "ad_cpv",
        "ad_cps",
        "ad_cpl",
        "ad_cpa",
        "ad_open_rate",
        "ad_conversion_rate",
        "ad_card_impressions",
        "ad_card_clicks",
        "ad_card_ctr",
        "weekly_post_views",
        "weekly_post_interactions",
        "weekly_engagement_rate",
        "connections_growth",
        "followers_growth",
        "ssi_total_weekly",
        "ssi_total_change",
        "prospects_contacted",
        "conversion_rate",
        "revenue",
        *OUTCOME_KPIS.values(),
    }
)


@dataclass(frozen=True)
class E:
    """One valid event with its time in microseconds since the epoch."""

    t: int
    ev: Any

    @property
    def type(self) -> str:
        return str(self.ev.type)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def day_label(t: int) -> str:
    return "day:" + (EPOCH + timedelta(microseconds=t)).date().isoformat()


def week_label(t: int) -> str:
    year, week, _ = (EPOCH + timedelta(microseconds=t)).date().isocalendar()
    return f"week:{year}-W{week:02d}"


def month_label(t: int) -> str:
    d = (EPOCH + timedelta(microseconds=t)).date()
    return f"month:{d.year}-{d.month:02d}"


LABELS = {"day": day_label, "week": week_label, "month": month_label}


def round6(amount: Fraction) -> Decimal:
    """Round half to even at 6 decimals, exactly."""
    scaled = amount * 10**6
    whole = math.floor(scaled)
    rest = scaled - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    return Decimal(whole).scaleb(-6)


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latest(pairs: Iterable[tuple[int, Any]]) -> Any:
    """Value of the latest (time, value) pair; the larger value on ties."""
    return max(pairs)[1]


class Out:
    def __init__(self) -> None:
        self.records: dict[Key, Value] = {}

    def add(self, account: str, kpi: str, period: str, value: Value, **dims: object) -> None:
        assert kpi in COVERED_KPIS, kpi
        key = (account, kpi, period, tuple(sorted((k, str(v)) for k, v in dims.items())))
        assert key not in self.records, key
        self.records[key] = value


def oracle(events: Iterable[Any], as_of: int | None = None) -> dict[Key, Value]:
    """All covered KPI records of every account at `as_of` (default: the latest event)."""
    # Duplicates (same account and event_id) count once: the generated duplicates are exact
    # copies, so which copy is kept does not matter.
    unique: dict[tuple[str, str], E] = {}
    for ev in events:
        unique.setdefault((ev.account_id, ev.event_id), E(micros(ev.occurred_at), ev))
    if not unique:
        return {}
    if as_of is None:
        as_of = max(e.t for e in unique.values())
    by_account: dict[str, list[E]] = defaultdict(list)
    for (account, _), e in unique.items():
        if e.t <= as_of:
            by_account[account].append(e)
    out = Out()
    for account, evs in by_account.items():
        invitations(out, account, [e for e in evs if e.type.startswith("invitation.")], as_of)
        profile(out, account, [e for e in evs if e.type == "profile.snapshot"], as_of)
        content(out, account, [e for e in evs if e.type.startswith("post.")], as_of)
        actors(out, account, [e for e in evs if e.type == "post.interaction"])
        messages(out, account, [e for e in evs if e.type.startswith("message.")], as_of)
        ads(out, account, [e for e in evs if e.type.startswith("ad.")])
        outcomes(out, account, evs)
    return out.records


# --- invitations -------------------------------------------------------------------------


def invitations(out: Out, account: str, evs: list[E], as_of: int) -> None:
    if not evs:
        return
    sends = [e for e in evs if e.type == "invitation.sent"]
    ids = {e.ev.invitation_id for e in evs}
    # The earliest send of an invitation_id defines it (attributes of re-sends agree).
    first_send: dict[str, E] = {}
    for inv in ids:
        mine = [e for e in sends if e.ev.invitation_id == inv]
        if mine:
            first_send[inv] = min(mine, key=lambda e: (e.t, e.ev.event_id))
    accepted_at = {
        inv: min(e.t for e in evs if e.type == "invitation.accepted" and e.ev.invitation_id == inv)
        for inv in ids
        if any(e.type == "invitation.accepted" and e.ev.invitation_id == inv for e in evs)
    }
    withdrawn = {e.ev.invitation_id for e in evs if e.type == "invitation.withdrawn"}
    outbound = {inv: e.t for inv, e in first_send.items() if e.ev.direction == "outbound"}

    for label in LABELS.values():
        for period in {label(t) for t in outbound.values()}:
            n = sum(1 for t in outbound.values() if label(t) == period)
            out.add(account, "invitations_sent", period, n)
    out.add(
        account,
        "invitations_sent",
        "rolling_24h",
        sum(1 for t in outbound.values() if as_of - DAY < t <= as_of),
    )

    def cohort(period: str, members: list[str]) -> None:
        sent = len(members)
        accepted = sum(1 for inv in members if inv in accepted_at)
        gone = sum(1 for inv in members if inv in withdrawn and inv not in accepted_at)
        out.add(account, "invitation_cohort_sent", period, sent)
        out.add(account, "invitation_cohort_accepted", period, accepted)
        out.add(account, "invitation_cohort_withdrawn", period, gone)
        out.add(account, "invitation_cohort_pending", period, sent - accepted - gone)
        if sent:
            out.add(account, "invitation_acceptance_rate", period, accepted / sent)

    cohort("rolling_96h", [inv for inv, t in outbound.items() if as_of - 96 * HOUR < t])
    for period in {day_label(t) for t in outbound.values()}:
        cohort(period, [inv for inv, t in outbound.items() if day_label(t) == period])

    stale = [
        inv
        for inv, t in outbound.items()
        if inv not in accepted_at and inv not in withdrawn and as_of - t > 21 * DAY
    ]
    out.add(account, "stale_pending_invitations", "total", len(stale))
    orphans = [inv for inv in accepted_at if inv not in first_send]
    out.add(account, "orphan_acceptances", "total", len(orphans))

    for label in LABELS.values():
        for period in {label(t) for t in accepted_at.values()}:
            members = [inv for inv, t in accepted_at.items() if label(t) == period]
            targets = [
                inv for inv in members if inv in first_send and first_send[inv].ev.invitee_is_target
            ]
            out.add(account, "new_connections", period, len(members))
            out.add(account, "target_share_of_new_connections", period, len(targets) / len(members))


# --- profile -----------------------------------------------------------------------------


def profile(out: Out, account: str, evs: list[E], as_of: int) -> None:
    for name in PROFILE_INTS:
        pairs = [(e.t, getattr(e.ev, name)) for e in evs if getattr(e.ev, name) is not None]
        if pairs:
            out.add(account, name, "latest", latest(pairs))
        if pairs and name in ("connections", "followers"):
            for label in (week_label, month_label):
                for period in {label(t) for t, _ in pairs}:
                    inside = [(t, v) for t, v in pairs if label(t) == period]
                    start = min(t for t, _ in inside)
                    before = [(t, v) for t, v in pairs if t < start]
                    # the last value before the period, else the period's first value (the
                    # value at its first instant: the larger one on ties, as for "latest")
                    first = [(t, v) for t, v in inside if t == start]
                    reference = latest(before) if before else latest(first)
                    out.add(account, f"{name}_growth", period, latest(inside) - reference)
    with_ssi = [e for e in evs if e.ev.ssi is not None]
    if not with_ssi:
        return
    totals = [(e.t, float(sum(getattr(e.ev.ssi, p) for p in SSI_PARTS))) for e in with_ssi]
    total = latest(totals)
    out.add(account, "ssi_total", "latest", total)
    for period in {week_label(t) for t, _ in totals}:
        out.add(
            account,
            "ssi_total_weekly",
            period,
            latest((t, v) for t, v in totals if week_label(t) == period),
        )
    for period, length in (("rolling_7d", 7 * DAY), ("rolling_30d", 30 * DAY)):
        old = [(t, v) for t, v in totals if t <= as_of - length]
        if old:
            out.add(account, "ssi_total_change", period, total - latest(old))
    for part in SSI_PARTS:
        out.add(
            account,
            f"ssi_{part}",
            "latest",
            latest((e.t, getattr(e.ev.ssi, part)) for e in with_ssi),
        )
    for rank in ("industry_rank_pct", "network_rank_pct"):
        pairs = [(e.t, getattr(e.ev.ssi, rank)) for e in with_ssi]
        pairs = [(t, float(v)) for t, v in pairs if v is not None]
        if pairs:
            out.add(account, f"ssi_{rank}", "latest", latest(pairs))


# --- content -----------------------------------------------------------------------------


def content(out: Out, account: str, evs: list[E], as_of: int) -> None:
    if not evs:
        return
    published = {
        post: min(e.t for e in evs if e.type == "post.published" and e.ev.post_id == post)
        for post in {e.ev.post_id for e in evs if e.type == "post.published"}
    }
    for period in {week_label(t) for t in published.values()}:
        n = sum(1 for t in published.values() if week_label(t) == period)
        out.add(account, "posts_published", period, n)

    all_changes: list[tuple[int, str, int]] = []
    for post in {e.ev.post_id for e in evs}:
        mine = [e for e in evs if e.ev.post_id == post]
        snapshots = [e for e in mine if e.type == "post.snapshot"]
        # changes: (time, counter, amount) that make up the post's totals and curves
        changes: list[tuple[int, str, int]] = []
        if snapshots:
            for counter in POST_COUNTERS:
                series = sorted(
                    (e.t, getattr(e.ev, counter))
                    for e in snapshots
                    if getattr(e.ev, counter) is not None
                )
                previous = 0
                for t, value in series:
                    changes.append((t, counter, value - previous))
                    previous = value
        else:
            for e in mine:
                if e.type == "post.interaction":
                    changes.append((e.t, KIND_TO_COUNTER[e.ev.kind], e.ev.count))
        all_changes += changes
        totals = {c: sum(n for _, cc, n in changes if cc == c) for c in POST_COUNTERS}
        for counter in POST_COUNTERS:
            out.add(account, f"post_{counter}", "total", totals[counter], post_id=post)
        interactions = sum(totals[c] for c in INTERACTION_COUNTERS)
        out.add(account, "post_interactions", "total", interactions, post_id=post)
        if totals["views"]:
            out.add(
                account,
                "post_engagement_rate",
                "total",
                interactions / totals["views"],
                post_id=post,
            )
        if post not in published:
            continue
        start = published[post]
        cum_views = cum_inter = 0
        for h in range(48):
            lo, hi = start + h * HOUR, start + (h + 1) * HOUR
            if lo > as_of:
                break
            views = sum(n for t, c, n in changes if c == "views" and lo <= t < hi)
            inter = sum(n for t, c, n in changes if c != "views" and lo <= t < hi)
            cum_views += views
            cum_inter += inter
            out.add(account, "post_hourly_views", "total", views, post_id=post, hour=h)
            out.add(account, "post_hourly_interactions", "total", inter, post_id=post, hour=h)
            out.add(account, "post_cumulative_views", "total", cum_views, post_id=post, hour=h)
            out.add(
                account, "post_cumulative_interactions", "total", cum_inter, post_id=post, hour=h
            )
        # "interactions still arrived": the interaction total (sum of the four counters)
        # grew at some instant 48 h or more after publication
        late = any(
            sum(n for tt, c, n in changes if tt == t and c != "views") > 0
            for t, _, _ in changes
            if t >= start + 48 * HOUR
        )
        out.add(account, "post_long_lived", "total", int(late), post_id=post)
    # weeks holding at least one change (an event, or a snapshot's change, even zero)
    for period in {week_label(t) for t, _, _ in all_changes}:
        week = [(c, n) for t, c, n in all_changes if week_label(t) == period]
        views = sum(n for c, n in week if c == "views")
        inter = sum(n for c, n in week if c != "views")
        out.add(account, "weekly_post_views", period, views)
        out.add(account, "weekly_post_interactions", period, inter)
        if views:
            out.add(account, "weekly_engagement_rate", period, inter / views)


# --- interaction history -------------------------------------------------------------------


def bucket(n: int) -> str:
    if n <= 5:
        return str(n)
    if n <= 9:
        return "6-9"
    if n <= 24:
        return "10-24"
    return "25+"


def actors(out: Out, account: str, evs: list[E]) -> None:
    with_actor = [e for e in evs if e.ev.actor_id is not None]
    counted = [e for e in with_actor if e.ev.kind in ("reaction", "comment", "share")]
    if not counted:
        return
    counts = {
        actor: sum(e.ev.count for e in counted if e.ev.actor_id == actor)
        for actor in {e.ev.actor_id for e in counted}
    }
    for b in BUCKETS:
        n = sum(1 for c in counts.values() if bucket(c) == b)
        out.add(account, "actors_by_interaction_count", "total", n, bucket=b)
    warm = [actor for actor, c in counts.items() if c >= 4]
    out.add(account, "warm_prospects", "total", len(warm))

    def degree(actor: str) -> int | None:
        pairs = [
            (e.t, e.ev.actor_degree)
            for e in with_actor
            if e.ev.actor_id == actor and e.ev.actor_degree is not None
        ]
        return latest(pairs) if pairs else None

    out.add(
        account,
        "warm_prospects_to_invite",
        "total",
        sum(1 for actor in warm if degree(actor) != 1),
    )


# --- messages ------------------------------------------------------------------------------


def messages(out: Out, account: str, evs: list[E], as_of: int) -> None:
    if not evs:
        return
    sent = [e for e in evs if e.type == "message.sent"]
    for label in (day_label, week_label):
        for period in {label(e.t) for e in sent}:
            out.add(account, "messages_sent", period, sum(1 for e in sent if label(e.t) == period))

    started: dict[str, int] = {}  # conversation -> start time
    first_reply: dict[str, int] = {}
    for conv in {e.ev.conversation_id for e in evs}:
        mine = [e for e in evs if e.ev.conversation_id == conv]
        first = min(e.t for e in mine)
        kinds_at_first = {e.type for e in mine if e.t == first}
        if kinds_at_first != {"message.sent"}:
            continue
        started[conv] = first
        replies = [e.t for e in mine if e.type == "message.received" and e.t > first]
        if replies:
            first_reply[conv] = min(replies)
    for period in {day_label(t) for t in started.values()}:
        n = sum(1 for t in started.values() if day_label(t) == period)
        out.add(account, "conversations_started", period, n)
    for period, length in (("rolling_7d", 7 * DAY), ("rolling_30d", 30 * DAY)):
        cohort = [conv for conv, t in started.items() if as_of - length < t]
        replied = [conv for conv in cohort if conv in first_reply]
        out.add(account, "reply_cohort_started", period, len(cohort))
        out.add(account, "reply_cohort_replied", period, len(replied))
        if cohort:
            out.add(account, "reply_rate", period, len(replied) / len(cohort))
        if replied:
            waits = [(first_reply[conv] - started[conv]) / US for conv in replied]
            for q in ("0.5", "0.9"):
                out.add(
                    account,
                    "time_to_first_reply_seconds",
                    period,
                    quantile(waits, float(q)),
                    quantile=q,
                )


# --- ads -----------------------------------------------------------------------------------


def ads(out: Out, account: str, evs: list[E]) -> None:
    def group_of(e: E) -> tuple[str, str, str, str, str]:
        ev = e.ev
        day = f"day:{ev.date.isoformat()}" if e.type == "ad.daily_report" else day_label(e.t)
        return (day, ev.campaign_id, ev.creative_id, ev.format, ev.currency)

    for group in {group_of(e) for e in evs}:
        mine = [e for e in evs if group_of(e) == group]
        reports = [e for e in mine if e.type == "ad.daily_report"]
        incremental = [e for e in mine if e.type != "ad.daily_report"]
        if reports:
            report = max(reports, key=lambda e: (e.t, e.ev.event_id)).ev
            impressions, clicks, spend = report.impressions, report.clicks, Decimal(report.cost)
            extra = {name: getattr(report, name) or 0 for name in AD_EXTRA.values()}
        else:
            impressions = sum(e.ev.count for e in incremental if e.type == "ad.impression")
            clicks = sum(e.ev.count for e in incremental if e.type == "ad.click")
            spend = sum((Decimal(e.ev.cost) for e in incremental), Decimal(0))
            extra = {
                name: sum(e.ev.count for e in incremental if e.type == kind)
                for kind, name in AD_EXTRA.items()
            }
        day, campaign, creative, fmt, currency = group
        dims = {"campaign_id": campaign, "creative_id": creative, "format": fmt}
        dims["currency"] = currency
        out.add(account, "ad_impressions", day, impressions, **dims)
        out.add(account, "ad_clicks", day, clicks, **dims)
        out.add(account, "ad_spend", day, spend, **dims)
        if impressions:
            out.add(account, "ad_ctr", day, clicks / impressions, **dims)
            out.add(account, "ad_cpm", day, round6(Fraction(spend) * 1000 / impressions), **dims)
        if clicks:
            out.add(account, "ad_cpc", day, round6(Fraction(spend) / clicks), **dims)
            out.add(account, "ad_conversion_rate", day, extra["conversions"] / clicks, **dims)
        for name, n in extra.items():
            if n:
                out.add(account, f"ad_{name}", day, n, **dims)
        for kpi, name in (
            ("ad_cpv", "video_views"),
            ("ad_cps", "sends"),
            ("ad_cpl", "leads"),
            ("ad_cpa", "conversions"),
        ):
            if extra[name]:
                out.add(account, kpi, day, round6(Fraction(spend) / extra[name]), **dims)
        if extra["sends"]:
            out.add(account, "ad_open_rate", day, extra["opens"] / extra["sends"], **dims)
        # carousel cards: impressions and clicks with a card_index, report or not
        carded = [e for e in incremental if e.type in ("ad.impression", "ad.click")]
        for card in {e.ev.card_index for e in carded if e.ev.card_index is not None}:
            on_card = [e for e in carded if e.ev.card_index == card]
            shown = sum(e.ev.count for e in on_card if e.type == "ad.impression")
            hit = sum(e.ev.count for e in on_card if e.type == "ad.click")
            out.add(account, "ad_card_impressions", day, shown, card_index=card, **dims)
            out.add(account, "ad_card_clicks", day, hit, card_index=card, **dims)
            if shown:
                out.add(account, "ad_card_ctr", day, hit / shown, card_index=card, **dims)


# --- outcomes ------------------------------------------------------------------------------


def outcomes(out: Out, account: str, evs: list[E]) -> None:
    recorded = [e for e in evs if e.type == "outcome.recorded"]
    for kind, kpi in OUTCOME_KPIS.items():
        mine = [e for e in recorded if e.ev.kind == kind]
        for label in (week_label, month_label):
            for period in {label(e.t) for e in mine}:
                inside = [e for e in mine if label(e.t) == period]
                out.add(account, kpi, period, len(inside))
                for channel in {e.ev.channel for e in inside}:
                    n = sum(1 for e in inside if e.ev.channel == channel)
                    out.add(account, kpi, period, n, channel=channel)
    # members contacted: invitees of outbound invitations (by send time) and message recipients
    # (an invitation is sent at its earliest send)
    sends = [e for e in evs if e.type == "invitation.sent"]
    first_sends = [
        min((e for e in sends if e.ev.invitation_id == inv), key=lambda e: (e.t, e.ev.event_id))
        for inv in {e.ev.invitation_id for e in sends}
    ]
    contacts: list[tuple[int, str]] = [
        (e.t, e.ev.invitee_id) for e in first_sends if e.ev.direction == "outbound"
    ]
    contacts += [(e.t, e.ev.recipient_id) for e in evs if e.type == "message.sent"]
    for label in (week_label, month_label):
        for period in {label(t) for t, _ in contacts}:
            members = {m for t, m in contacts if label(t) == period}
            out.add(account, "prospects_contacted", period, len(members))
            # the rate exists for periods holding outcomes (the family's data) and contacts
            outcomes_in = [e for e in recorded if label(e.t) == period]
            won = sum(1 for e in outcomes_in if e.ev.kind == "customer_won")
            if outcomes_in:
                out.add(account, "conversion_rate", period, won / len(members))
    valued = [e for e in recorded if e.ev.kind == "customer_won" and e.ev.value is not None]
    for label in (week_label, month_label):
        for period, currency in {(label(e.t), e.ev.currency) for e in valued}:
            amount = sum(
                (
                    Decimal(e.ev.value)
                    for e in valued
                    if label(e.t) == period and e.ev.currency == currency
                ),
                Decimal(0),
            )
            out.add(account, "revenue", period, amount, currency=currency)
