"""Incremental evaluation: per account, what changed since its last evaluation, and only that.

An account's records are split into *segments*, each recomputed on its own:

- `("post", post_id)`: one post's totals, rate, curve and long-lived flag. Events: its post
  events. Time: `content.post_next_change`.
- `("content",)`: weekly post totals, posts published. Events: a publication, and any post
  segment whose weekly sums changed. Time: `content.account_next_change`.
- `("ads", day, campaign, creative, format, currency)`: one ad group and its cards. Events:
  its ad events and reports. Time: `ads.evaluate_group`.
- `("invitations",)`, `("messages",)`, `("actors",)`, `("profile",)`, `("outcomes",)`: one
  family each, recomputed whole. Events: the family's events (outcomes also follow prospects
  contacted and ad spend: sends, outbound messages, ad events). Time: its `next_change`.

Events mark the segments they touch (`ChangeTracker.mark`, called by `Engine.apply_all` for
every applied or late event); time marks a segment when the evaluation time reaches its
*next change*: the earliest `as_of` after its last evaluation at which its records could
differ with no new event (a window sliding past an event, a threshold crossed, a day
entering or leaving retention, the next hour of a curve). A segment is recomputed whole when
either happened, and its new records are compared with the previous ones: the delta is
what changed. Untouched segments (posts, ad groups, families) are not recomputed.

Each account's next change sits in a heap, so `due_accounts(now)` costs O(accounts due),
not O(accounts x records). `Engine.prune` never changes records (a property test checks),
so it marks nothing (except the actor cap's evictions, which do).

Evaluations are meant at a clock that never moves backwards and is at or after every event
applied (`Engine.live`: the worker's clock); an earlier `as_of`, or an account whose state
object was replaced (a store rebuild), recomputes all of the account's segments.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kpis import actors, ads, content, invitations, messages, outcomes, profile
from kpis.ads import CardKey, GroupKey
from kpis.config import EngineConfig
from kpis.content import CURVE_KPIS, PostNumbers, post_numbers, post_records
from kpis.details import AccountDetails, stale_invitations
from kpis.emit import Emitter, sort_records
from kpis.state import AccountState
from kpis.store import StateStore
from kpis.timeutil import DAY_US, day_of_date, format_ts
from models.records import KpiRecord, RecordKey, RecordValue

SegmentKey = tuple[Any, ...]
INVITATIONS: SegmentKey = ("invitations",)
PROFILE: SegmentKey = ("profile",)
ACTORS: SegmentKey = ("actors",)
MESSAGES: SegmentKey = ("messages",)
OUTCOMES: SegmentKey = ("outcomes",)
CONTENT: SegmentKey = ("content",)
POST, ADS = "post", "ads"

Evaluator = Callable[[AccountState, Emitter, EngineConfig], object]
NextChange = Callable[[AccountState, int, EngineConfig], "int | None"]
# Families recomputed whole, in the order they are evaluated.
FAMILIES: dict[SegmentKey, tuple[Evaluator, NextChange]] = {
    INVITATIONS: (invitations.evaluate, invitations.next_change),
    PROFILE: (profile.evaluate, profile.next_change),
    ACTORS: (actors.evaluate, actors.next_change),
    MESSAGES: (messages.evaluate, messages.next_change),
    OUTCOMES: (outcomes.evaluate, outcomes.next_change),
}
Ident = tuple[str, str, tuple[tuple[str, str | int], ...]]  # kpi, period, dims items


@dataclass(slots=True)
class AccountEvaluation:
    """What changed in one account's records since its previous evaluation.

    `full`: `upserts` holds every record of the account (in `Engine.evaluate`'s order) and
    `deletes` is empty: replace the account's view. Otherwise apply `upserts` (new records
    and records whose value changed) and `deletes` (records that no longer exist) to the
    previous view. Every upsert carries this evaluation's `as_of`; a record whose value did
    not change is not repeated when only `as_of` moved (the view keeps `as_of` per account).

    `details`: the ranked warm prospects and stale invitations, when they changed (always
    on a full evaluation), else None. `posts`: post_id -> its numbers (publication, totals,
    hourly curve), for every post whose records changed (None: the post has no record any
    more); on a full evaluation every post with records."""

    account_id: str
    as_of: int
    upserts: list[KpiRecord]
    deletes: list[RecordKey]
    full: bool
    details: AccountDetails | None = None
    posts: dict[str, PostNumbers | None] = field(default_factory=dict)

    @property
    def as_of_label(self) -> str:
        """`as_of` in RFC 3339 (the `as_of` of the upserted records)."""
        return format_ts(self.as_of)

    @property
    def changed(self) -> bool:
        return bool(self.upserts or self.deletes or self.details is not None or self.posts)


@dataclass(slots=True)
class AccountView:
    """One account's records at its last evaluation, from the tracker's memory (nothing is
    recomputed): what gauges and alert rules read. `records` leaves out the hourly post
    curves (`posts` has them); `record_count` counts every record, curves included."""

    account_id: str
    as_of: int
    records: list[KpiRecord]
    posts: dict[str, PostNumbers]
    details: AccountDetails
    record_count: int


def same_value(a: RecordValue, b: RecordValue) -> bool:
    """Whether two values render alike: same type, equal, same Decimal digits, same sign of
    a zero float (JSON writes -0.0)."""
    if type(a) is not type(b) or a != b:
        return False
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()  # type: ignore[union-attr]
    if isinstance(a, float) and a == 0.0:
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    return True


class _Account:
    """The last evaluation of one account: records per segment and their next changes."""

    __slots__ = (
        "as_of",
        "changes",
        "details",
        "dirty",
        "heap",
        "next",
        "posts",
        "segments",
        "state",
    )

    def __init__(self, state: AccountState) -> None:
        self.state = state
        self.as_of: int | None = None
        self.segments: dict[SegmentKey, dict[Ident, KpiRecord]] = {}  # families, ad groups
        self.posts: dict[str, PostNumbers] = {}  # posts showing records
        self.changes: dict[SegmentKey, int] = {}  # segment -> its next change (in `heap`)
        self.heap: list[tuple[int, SegmentKey]] = []
        self.dirty: set[SegmentKey] = set()  # segments events touched since
        self.details = AccountDetails([], [])
        self.next: int | None = None  # the earliest of `changes` (the tracker's heap entry)

    def set_change(self, key: SegmentKey, when: int | None) -> None:
        known = self.changes.get(key)
        if when is None:
            if known is not None:
                del self.changes[key]  # its heap entry goes stale
        elif when != known:
            self.changes[key] = when
            heapq.heappush(self.heap, (when, key))

    def pop_due(self, as_of: int) -> set[SegmentKey]:
        """Segments whose next change is at or before `as_of` (taken off the heap)."""
        heap, changes, due = self.heap, self.changes, set()
        while heap and heap[0][0] <= as_of:
            when, key = heapq.heappop(heap)
            if changes.get(key) == when:
                del changes[key]
                due.add(key)
        return due

    def earliest_change(self) -> int | None:
        heap, changes = self.heap, self.changes
        while heap and changes.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)  # stale
        if len(heap) > 2 * len(changes) + 64:  # too many stale entries below the top
            self.heap = heap = [(when, key) for key, when in changes.items()]
            heapq.heapify(heap)
        return heap[0][0] if heap else None


def _ident(record: KpiRecord) -> Ident:
    return (record[1], record[2], tuple(record[5].items()))


def _segment_keys(st: AccountState) -> set[SegmentKey]:
    keys: set[SegmentKey] = {*FAMILIES, CONTENT}
    keys.update((POST, post_id) for post_id in st.posts)
    keys.update((ADS, *key) for key in st.ads)
    keys.update((ADS, *key[:5]) for key in st.cards)
    return keys


def _post_key_records(post_id: str, numbers: PostNumbers) -> list[RecordKey]:
    """The keys of every record `post_records` builds from `numbers`."""
    dims: dict[str, str | int] = {"post_id": post_id}
    names = [*content.POST_KPIS, "post_interactions"]
    if numbers.rate is not None:
        names.append("post_engagement_rate")
    keys = [RecordKey(name, "total", dims) for name in names]
    if numbers.curve:
        for hour in range(len(numbers.hourly_views)):
            hour_dims: dict[str, str | int] = {"post_id": post_id, "hour": hour}
            keys.extend(RecordKey(name, "total", hour_dims) for name in CURVE_KPIS)
        keys.append(RecordKey("post_long_lived", "total", dims))
    return keys


class _Delta:
    """Collects the changes of one account evaluation."""

    __slots__ = ("account_id", "deletes", "label", "posts", "upserts")

    def __init__(self, account_id: str, label: str) -> None:
        self.account_id = account_id
        self.label = label
        self.upserts: list[KpiRecord] = []
        self.deletes: list[RecordKey] = []
        self.posts: dict[str, PostNumbers | None] = {}

    def segment(
        self, old: dict[Ident, KpiRecord], records: list[KpiRecord]
    ) -> dict[Ident, KpiRecord]:
        """Compare a segment's new records with its old ones; returns them by identity."""
        new = {_ident(record): record for record in records}
        upserts = self.upserts
        for ident, record in new.items():
            previous = old.get(ident)
            if previous is None or not same_value(previous[3], record[3]):
                upserts.append(record)
        for ident, record in old.items():
            if ident not in new:
                self.deletes.append(RecordKey(record[1], record[2], record[5]))
        return new

    def post(self, post_id: str, old: PostNumbers | None, new: PostNumbers | None) -> None:
        """Compare a post's numbers; records are built only where they differ."""
        if old is None:
            if new is not None:
                self.upserts.extend(post_records(self.account_id, self.label, post_id, new))
                self.posts[post_id] = new
            return
        if new is None:
            self.deletes.extend(_post_key_records(post_id, old))
            self.posts[post_id] = None
            return
        before = len(self.upserts) + len(self.deletes)
        account_id, label, upserts = self.account_id, self.label, self.upserts
        dims: dict[str, str | int] = {"post_id": post_id}
        old_totals, new_totals = (*old.totals, old.interactions), (*new.totals, new.interactions)
        if old_totals != new_totals:
            for name, was, now in zip(content.TOTAL_KPIS, old_totals, new_totals, strict=True):
                if was != now:
                    upserts.append(KpiRecord(account_id, name, "total", now, label, dims))
        if new.rate is None:
            if old.rate is not None:
                self.deletes.append(RecordKey("post_engagement_rate", "total", dims))
        elif old.rate is None or not same_value(old.rate, new.rate):
            upserts.append(
                KpiRecord(account_id, "post_engagement_rate", "total", new.rate, label, dims)
            )
        self._curve(post_id, old, new, dims)
        if len(self.upserts) + len(self.deletes) != before:
            self.posts[post_id] = new

    def _curve(
        self, post_id: str, old: PostNumbers, new: PostNumbers, dims: dict[str, str | int]
    ) -> None:
        account_id, label, upserts = self.account_id, self.label, self.upserts
        old_views = old.hourly_views if old.curve else []
        old_inter = old.hourly_interactions if old.curve else []
        new_views, new_inter = new.hourly_views, new.hourly_interactions
        if new_views != old_views or new_inter != old_inter:
            old_rows = _curve_rows(old_views, old_inter)
            for hour, row in enumerate(_curve_rows(new_views, new_inter)):
                was = old_rows[hour] if hour < len(old_rows) else None
                if row == was:
                    continue
                hour_dims: dict[str, str | int] = {"post_id": post_id, "hour": hour}
                for n, name in enumerate(CURVE_KPIS):
                    if was is None or was[n] != row[n]:
                        upserts.append(
                            KpiRecord(account_id, name, "total", row[n], label, hour_dims)
                        )
            for hour in range(len(new_views), len(old_views)):
                hour_dims = {"post_id": post_id, "hour": hour}
                self.deletes.extend(RecordKey(name, "total", hour_dims) for name in CURVE_KPIS)
        if new.curve:
            if not old.curve or old.long_lived != new.long_lived:
                upserts.append(
                    KpiRecord(account_id, "post_long_lived", "total", new.long_lived, label, dims)
                )
        elif old.curve:
            self.deletes.append(RecordKey("post_long_lived", "total", dims))


def _curve_rows(views: list[int], interactions: list[int]) -> list[tuple[int, int, int, int]]:
    """Per hour, the values of the `CURVE_KPIS` records: hourly and running totals."""
    rows = []
    cum_v = cum_i = 0
    for v, i in zip(views, interactions, strict=True):
        cum_v += v
        cum_i += i
        rows.append((v, i, cum_v, cum_i))
    return rows


class ChangeTracker:
    """Per account: the last evaluation, what events touched since, when time changes it."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._accounts: dict[str, _Account] = {}
        self._dirty: set[str] = set()  # touched by an event since their last evaluation
        self._due: set[str] = set()  # next change reached (taken off `_heap`)
        self._heap: list[tuple[int, str]] = []  # (next change, account), lazily invalidated

    # --- events -----------------------------------------------------------------------
    def mark(self, account_id: str, st: AccountState, event: Any, t: int) -> None:
        """An event was applied (or found late) in `st`: mark the segments it touched."""
        self._dirty.add(account_id)
        account = self._accounts.get(account_id)
        if account is not None:
            MARKERS[event.type](account.dirty, event, t)

    def mark_segment(self, account_id: str, key: SegmentKey) -> None:
        account = self._accounts.get(account_id)
        if account is not None:
            account.dirty.add(key)
            self._dirty.add(account_id)

    # --- queries ----------------------------------------------------------------------
    def due_accounts(self, now: int) -> list[str]:
        """Accounts touched by an event since their last evaluation, never evaluated since
        tracking began, or whose next change is at or before `now`; sorted."""
        heap, accounts = self._heap, self._accounts
        while heap and heap[0][0] <= now:
            when, account_id = heapq.heappop(heap)
            account = accounts.get(account_id)
            if account is not None and account.next == when:
                self._due.add(account_id)
        return sorted(self._dirty | self._due)

    def next_change(self) -> int | None:
        """The earliest next change of any evaluated account (None: none is known)."""
        heap, accounts = self._heap, self._accounts
        while heap:
            when, account_id = heap[0]
            account = accounts.get(account_id)
            if account is not None and account.next == when:
                return when
            heapq.heappop(heap)
        return None

    def forget(self, account_id: str | None = None) -> None:
        """Drop the last evaluation of an account (None: of every account): its next
        evaluation is full. For accounts this worker no longer owns."""
        if account_id is None:
            self._accounts.clear()
            self._dirty.clear()
            self._due.clear()
            self._heap.clear()
        else:
            self._accounts.pop(account_id, None)
            self._dirty.discard(account_id)
            self._due.discard(account_id)

    def view(self, account_id: str) -> AccountView | None:
        """The account's records at its last evaluation (None: not evaluated yet)."""
        account = self._accounts.get(account_id)
        if account is None or account.as_of is None:
            return None
        records = [record for segment in account.segments.values() for record in segment.values()]
        count = len(records)
        label = format_ts(account.as_of)
        for post_id, numbers in account.posts.items():
            records.extend(post_records(account_id, label, post_id, numbers, curve=False))
            count += len(_post_key_records(post_id, numbers))
        return AccountView(
            account_id, account.as_of, records, dict(account.posts), account.details, count
        )

    # --- evaluation -------------------------------------------------------------------
    def evaluate(
        self, store: StateStore, account_id: str, as_of: int, full: bool
    ) -> AccountEvaluation:
        st = store.get(account_id)
        account = self._accounts.get(account_id)
        everything = full or account is None
        if account is None or full:
            account = self._accounts[account_id] = _Account(st)
            keys = _segment_keys(st)
        elif account.state is not st or (account.as_of is not None and as_of < account.as_of):
            account.state = st  # rebuilt state, or time went back: recompute every segment
            keys = _segment_keys(st) | set(account.segments) | {(POST, p) for p in account.posts}
            keys |= set(account.changes) | account.dirty
            account.changes.clear()
            account.heap.clear()
        else:
            keys = account.pop_due(as_of) | account.dirty
        account.dirty = set()
        label = format_ts(as_of)
        delta = _Delta(account_id, label)
        if keys:
            details = self._recompute(account, st, keys, as_of, label, delta, everything)
        else:
            details = None
        account.as_of = as_of
        was_due = account_id in self._due
        self._dirty.discard(account_id)
        self._due.discard(account_id)
        earliest = account.earliest_change()
        if earliest is not None and (earliest != account.next or was_due):
            heapq.heappush(self._heap, (earliest, account_id))
        account.next = earliest
        upserts = sort_records(delta.upserts)
        if everything:
            delta.posts = dict(account.posts)
            details = account.details
        else:
            delta.deletes.sort(key=lambda k: (k.kpi, k.period, tuple(k.dims.items())))
        return AccountEvaluation(
            account_id, as_of, upserts, delta.deletes, everything, details, delta.posts
        )

    def _recompute(
        self,
        account: _Account,
        st: AccountState,
        keys: set[SegmentKey],
        as_of: int,
        label: str,
        delta: _Delta,
        everything: bool,
    ) -> AccountDetails | None:
        cfg = self.config
        account_id = delta.account_id
        weekly_changed = CONTENT in keys
        cards: dict[GroupKey, list[CardKey]] | None = None
        for key in sorted(k for k in keys if k[0] == POST):
            post_id = key[1]
            post = st.posts.get(post_id)
            old = account.posts.get(post_id)
            numbers = None if post is None else post_numbers(post, as_of, cfg)
            delta.post(post_id, None if everything else old, numbers)
            if numbers is None:
                account.posts.pop(post_id, None)
            else:
                account.posts[post_id] = numbers
            if (old.weekly if old else None) != (numbers.weekly if numbers else None):
                weekly_changed = True
            change = None if post is None else content.post_next_change(post, as_of, cfg)
            account.set_change(key, change)
        if weekly_changed:
            emit = Emitter(account_id, as_of, label)
            weekly: dict[int, list[int]] = {}
            for numbers in account.posts.values():
                content.add_weekly(weekly, numbers.weekly)
            content.account_records(emit, st, weekly, cfg)
            self._segment(account, CONTENT, emit.records, delta, everything)
            account.set_change(CONTENT, content.account_next_change(st, as_of, cfg))
        for key in sorted(k for k in keys if k[0] == ADS):
            if cards is None:
                cards = {}
                for card_key in st.cards:
                    cards.setdefault(card_key[:5], []).append(card_key)
            group_key: GroupKey = key[1:]
            emit = Emitter(account_id, as_of, label)
            change = ads.evaluate_group(st, emit, group_key, cards.get(group_key, []), cfg)
            self._segment(account, key, emit.records, delta, everything)
            account.set_change(key, change if emit.records or group_key in st.ads else None)
        details: AccountDetails | None = None
        warm, stale = account.details.warm_prospects, account.details.stale_invitations
        for key, (evaluate, next_change) in FAMILIES.items():
            if key not in keys:
                continue
            emit = Emitter(account_id, as_of, label)
            found = evaluate(st, emit, cfg)
            if key is ACTORS:
                warm = found  # type: ignore[assignment]
            elif key is INVITATIONS:
                stale = stale_invitations(st, as_of, cfg)
            self._segment(account, key, emit.records, delta, everything)
            account.set_change(key, next_change(st, as_of, cfg))
        if warm != account.details.warm_prospects or stale != account.details.stale_invitations:
            details = account.details = AccountDetails(warm, stale)
        return details

    def _segment(
        self,
        account: _Account,
        key: SegmentKey,
        records: list[KpiRecord],
        delta: _Delta,
        everything: bool,
    ) -> None:
        if everything:
            delta.upserts.extend(records)
            new = {_ident(record): record for record in records}
        else:
            new = delta.segment(account.segments.get(key, {}), records)
        if new:
            account.segments[key] = new
        else:
            account.segments.pop(key, None)


# --- which segments an event touches ----------------------------------------------------


def _post(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    dirty.add((POST, ev.post_id))


def _published(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    dirty.add((POST, ev.post_id))
    dirty.add(CONTENT)  # posts published per week


def _interaction(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    dirty.add((POST, ev.post_id))
    if ev.actor_id is not None:
        dirty.add(ACTORS)


def _sent(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    dirty.add(INVITATIONS)
    dirty.add(OUTCOMES)  # prospects contacted


def _resolved(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    dirty.add(INVITATIONS)


def _message_sent(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    dirty.add(MESSAGES)
    dirty.add(OUTCOMES)  # prospects contacted


def _message_received(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    dirty.add(MESSAGES)


def _ad_event(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    dirty.add((ADS, t // DAY_US, ev.campaign_id, ev.creative_id, ev.format, ev.currency))
    dirty.add(OUTCOMES)  # ad spend: ROI, CAC


def _ad_report(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    day = day_of_date(ev.date)
    dirty.add((ADS, day, ev.campaign_id, ev.creative_id, ev.format, ev.currency))
    dirty.add(OUTCOMES)


def _profile(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    dirty.add(PROFILE)


def _outcome(dirty: set[SegmentKey], ev: Any, t: int) -> None:
    dirty.add(OUTCOMES)


Marker = Callable[[set[SegmentKey], Any, int], None]
MARKERS: dict[str, Marker] = {
    "post.published": _published,
    "post.interaction": _interaction,
    "post.snapshot": _post,
    "invitation.sent": _sent,
    "invitation.accepted": _resolved,
    "invitation.withdrawn": _resolved,
    "message.sent": _message_sent,
    "message.received": _message_received,
    "ad.daily_report": _ad_report,
    "profile.snapshot": _profile,
    "outcome.recorded": _outcome,
}
for _ad_type in ("impression", "click", "video_view", "send", "open", "lead", "conversion"):
    MARKERS[f"ad.{_ad_type}"] = _ad_event
