"""The KPI engine: apply validated events by event time, evaluate KPI records at an `as_of`.

Plain Python, no Faust/Kafka/Redis: `socialkpi replay` and the live worker run this code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

from kpis import actors, ads, content, invitations, messages, outcomes, profile
from kpis.config import EngineConfig
from kpis.daily import drop_expired_days, last_expired_day
from kpis.details import AccountDetails, account_details
from kpis.emit import Emitter, sort_records
from kpis.incremental import ACTORS, AccountEvaluation, AccountView, ChangeTracker
from kpis.pending import Parking
from kpis.state import AccountState
from kpis.store import MemoryStore, StateStore
from kpis.timeutil import format_ts, to_us
from models.events import Event
from models.records import KpiRecord

Handler = Callable[[AccountState, Any, int, EngineConfig], bool]


def _interaction(st: AccountState, ev: Any, t: int, cfg: EngineConfig) -> bool:
    in_post = content.on_interaction(st, ev, t, cfg)
    in_history = actors.on_interaction(st, ev, t, cfg)
    return in_post or in_history


HANDLERS: dict[str, Handler] = {
    "post.published": content.on_published,
    "post.interaction": _interaction,
    "post.snapshot": content.on_snapshot,
    "invitation.sent": invitations.on_sent,
    "invitation.accepted": invitations.on_resolved,
    "invitation.withdrawn": invitations.on_resolved,
    "message.sent": messages.on_message,
    "message.received": messages.on_message,
    "ad.daily_report": ads.on_report,
    "profile.snapshot": profile.on_snapshot,
    "outcome.recorded": outcomes.on_outcome,
}
for _ad_type in ("impression", "click", "video_view", "send", "open", "lead", "conversion"):
    HANDLERS[f"ad.{_ad_type}"] = ads.on_event

EVALUATORS = (
    invitations.evaluate,
    profile.evaluate,
    content.evaluate,
    actors.evaluate,
    messages.evaluate,
    outcomes.evaluate,
    ads.evaluate,
)
PRUNERS = (actors.prune, ads.prune, content.prune, outcomes.prune, profile.prune)

# Outcomes of `Engine.apply`, also the keys of `Engine.stats`. Events after `apply_until`:
# replay, AFTER_AS_OF (never applied); live, HELD (parked until `advance` reaches them) or
# FUTURE (beyond `max_future_us` or the per-account cap: refused, the worker dead-letters it).
APPLIED, DUPLICATE, LATE, AFTER_AS_OF = "applied", "duplicate", "late", "after_as_of"
HELD, FUTURE = "held", "future"
# Also in `Engine.stats`: parked events applied by `advance` (each also counted by outcome),
# and parked events that no longer parse (never applied).
RELEASED, UNREADABLE = "released", "unreadable_pending"


class Engine:
    """Applies events into a `StateStore`; order of arrival never changes the records.

    No event is applied after `apply_until` (replay: `as_of`; live: the evaluation clock),
    so no watermark, lateness or expiry horizon ever passes the evaluation time."""

    def __init__(
        self,
        config: EngineConfig | None = None,
        store: StateStore | None = None,
        processing_clock: Callable[[], int] | None = None,
        apply_until: int | None = None,
        max_future_us: int | None = None,
        track_changes: bool = False,
    ) -> None:
        self.config = config or EngineConfig()
        self.store: StateStore = store if store is not None else MemoryStore()
        # Processing time (not event time) ages the duplicate-id memory; without a clock
        # (replay) every id is remembered at time 0.
        self._clock = processing_clock
        self.apply_until = apply_until
        # None: replay (events after apply_until are AFTER_AS_OF); set: live holding.
        if max_future_us is not None and apply_until is None:
            raise ValueError("live holding (max_future_us) needs a clock: set apply_until")
        self.max_future_us = max_future_us
        self._parking = Parking()
        self.stats: Counter[str] = Counter()
        self.max_event_time: int | None = None
        # Incremental evaluation (`evaluate_account`): from the start with track_changes (live),
        # else from its first call.
        self._changes = ChangeTracker(self.config) if track_changes else None

    @classmethod
    def live(
        cls,
        now_us: int,
        config: EngineConfig | None = None,
        store: StateStore | None = None,
        processing_clock: Callable[[], int] | None = None,
    ) -> Engine:
        """The worker's engine: applies up to the clock `now_us` (moved by `advance`), holds
        events up to `config.max_future_us` ahead of it, tracks changes from the start (so
        `due_accounts` lists every account an event reached)."""
        config = config or EngineConfig()
        return cls(config, store, processing_clock, now_us, config.max_future_us, True)

    def apply(self, event: Event) -> str:
        """Apply one validated event; returns one of the outcomes above."""
        outcome = self.apply_all((event,))
        assert outcome is not None
        return outcome

    def apply_all(self, events: Iterable[Event]) -> str | None:
        """Apply events in order; returns the last one's outcome (None for no event).

        The hot path of replay (blocks of ~1,000 events) and of the worker (one at a time):
        the per-event lookups are hoisted out of the loop and the stats counted in locals."""
        get_state, handlers, config, clock = self.store.get, HANDLERS, self.config, self._clock
        apply_until, holding = self.apply_until, self.max_future_us is not None
        latest = self.max_event_time
        mark = None if self._changes is None else self._changes.mark
        applied = late = duplicates = after = 0
        outcome: str | None = None
        for event in events:
            moment = event.occurred_at  # `to_us`, with its usual case inlined
            t = round(moment.timestamp() * 1e6) if 1900 < moment.year < 2100 else to_us(moment)
            if apply_until is not None and t > apply_until:
                if holding:
                    outcome = self._hold(event, t)
                else:
                    after += 1
                    outcome = AFTER_AS_OF
                continue
            st = get_state(event.account_id)
            event_id = event.event_id
            seen = st.seen
            if event_id in seen:
                duplicates += 1
                outcome = DUPLICATE
                continue
            seen[event_id] = 0 if clock is None else clock()
            if st.dirty is not None:
                st.dirty.add(("seen", event_id))
            if handlers[event.type](st, event, t, config):
                applied += 1
                outcome = APPLIED
            else:
                late += 1
                outcome = LATE
            if mark is not None:
                mark(event.account_id, st, event, t)
            if t > st.watermark:
                st.watermark = t
            if latest is None or t > latest:
                latest = t
        self.max_event_time = latest
        stats = self.stats
        for counted, count in (
            (APPLIED, applied),
            (LATE, late),
            (DUPLICATE, duplicates),
            (AFTER_AS_OF, after),
        ):
            if count:
                stats[counted] += count
        return outcome

    def _hold(self, event: Event, t: int) -> str:
        """Live, an event after the clock: park it (HELD) or refuse it (FUTURE)."""
        assert self.apply_until is not None and self.max_future_us is not None
        stats = self.stats
        if t > self.apply_until + self.max_future_us:
            stats[FUTURE] += 1
            return FUTURE
        st = self.store.get(event.account_id)
        if event.event_id in st.seen or event.event_id in st.pending:
            stats[DUPLICATE] += 1
            return DUPLICATE
        if len(st.pending) >= self.config.max_pending_per_account:
            stats[FUTURE] += 1
            return FUTURE
        self._parking.park(st, event.account_id, event, t)
        stats[HELD] += 1
        return HELD

    def advance(self, now_us: int) -> int:
        """Move the clock (`apply_until`, never backwards) to `now_us` and apply every parked
        event it reached, in occurred_at order; returns how many were released. O(1) when
        none is due: call it before every batch and evaluation."""
        if self.apply_until is None or now_us > self.apply_until:
            self.apply_until = now_us
        due = self._parking.next_time()
        if due is None or due > self.apply_until:
            return 0
        events, unreadable = self._parking.take_due(self.store, self.apply_until)
        if unreadable:
            self.stats[UNREADABLE] += unreadable
        if events:
            self.stats[RELEASED] += len(events)
            self.apply_all(events)
        return len(events)

    def pending_count(self) -> int:
        """Events parked now (live), for a gauge."""
        return self._parking.count

    def reindex_pending(self) -> int:
        """Rebuild the index of parked events from the store; call it after the store's
        accounts were rebuilt (a restart or rebalance). Returns the number parked."""
        self._parking.reindex(self.store.accounts())
        return self._parking.count

    def evaluate(self, as_of: int) -> list[KpiRecord]:
        """All KPI records of every account at `as_of`, in a stable order."""
        label = format_ts(as_of)
        records: list[KpiRecord] = []
        # Accounts in order, each one's records sorted on their own: the order of a global
        # sort by `KpiRecord.sort_key` (it starts with the account), from smaller sorts.
        for account_id, st in sorted(self.store.accounts(), key=_account_of):
            emit = Emitter(account_id, as_of, label)
            for evaluate in EVALUATORS:
                evaluate(st, emit, self.config)
            records.extend(sort_records(emit.records))
        return records

    def evaluate_account(
        self, account_id: str, as_of: int, *, full: bool = False
    ) -> AccountEvaluation:
        """One account's records at `as_of` as a delta since its previous `evaluate_account`:
        only what events touched since, or what time changed (a window that slid, a
        threshold crossed, a day that rolled over, the next hour of a curve), is recomputed.

        The first call for an account, and `full=True` (start, newly assigned partitions,
        a view to refill), give every record (`AccountEvaluation.full`). Applying the deltas
        in order to the first full result always gives `evaluate(as_of)` for that account
        (`as_of` aside: an unchanged record is not repeated when only the time moved).
        Changes are tracked from the engine's start (`Engine.live`, `track_changes`) or else
        from the first call; `as_of` is expected never to go back and to be at or after the
        clock events were applied up to (as the worker does)."""
        if self._changes is None:
            self._changes = ChangeTracker(self.config)
        return self._changes.evaluate(self.store, account_id, as_of, full)

    def account_view(self, account_id: str) -> AccountView | None:
        """The account's records at its last `evaluate_account`, without the hourly post
        curves, from memory (None: not evaluated yet)."""
        return None if self._changes is None else self._changes.view(account_id)

    def due_accounts(self, now: int) -> list[str]:
        """The accounts `evaluate_account(now)` may find changed (sorted): touched by an
        event since their last evaluation, or whose next time-based change is at or before
        `now`. O(accounts due), not O(accounts). Accounts that no event reached
        since tracking began and that were never evaluated (state rebuilt from a changelog)
        are not listed: evaluate those with `full=True`."""
        return [] if self._changes is None else self._changes.due_accounts(now)

    def next_change(self) -> int | None:
        """The earliest time an evaluated account's records change with no new event."""
        return None if self._changes is None else self._changes.next_change()

    def forget_accounts(self, account_id: str | None = None) -> None:
        """Drop the incremental evaluation memory of one account (None: every account), e.g.
        of revoked partitions: its next `evaluate_account` is full."""
        if self._changes is not None:
            self._changes.forget(account_id)

    def details(self, account_id: str, as_of: int) -> AccountDetails:
        """Ranked warm prospects and stale invitations (member ids in clear: pseudonymize)."""
        return account_details(self.store.get(account_id), as_of, self.config)

    def prune(self) -> None:
        """Expire closed windows and old ids; safe at any time, never changes the records."""
        now = 0 if self._clock is None else self._clock()
        horizon = now - self.config.dedup_retention_us
        for account_id, st in self.store.accounts():
            if self._changes is not None and len(st.actors) > self.config.max_actors_per_account:
                self._changes.mark_segment(account_id, ACTORS)  # the cap evicts: records change
            for prune in PRUNERS:
                prune(st, self.config)
            _prune_entities(st, self.config)
            # Scans below start with a C-level min(): most of the time nothing expires.
            seen = st.seen
            if seen and min(seen.values()) < horizon:
                for event_id in [e for e, seen_at in seen.items() if seen_at < horizon]:
                    del seen[event_id]
                    st.touch("seen", event_id)


_account_of = itemgetter(0)


def _prune_entities(st: AccountState, cfg: EngineConfig) -> None:
    # An invitation or conversation counts as gone 90 days after its last change (handlers
    # and evaluation check that), but the record stays until no event that is not late (a
    # day within the bucket retention) could still find it: so late-arriving halves of a
    # pair (a backfilled send, its withdrawal) match in any order and whenever prune runs.
    horizon = st.watermark - cfg.bucket_retention_us - cfg.invitation_retention_us
    for inv_id in [i for i, inv in st.invitations.items() if inv.last_time() <= horizon]:
        del st.invitations[inv_id]
        st.touch("invitations", inv_id)
    for conv_id in [c for c, conv in st.conversations.items() if conv.last_time() <= horizon]:
        del st.conversations[conv_id]
        st.touch("conversations", conv_id)
    last_day = last_expired_day(st, cfg.bucket_retention_us)
    drop_expired_days(st, "daily", st.daily, 1, last_day)  # (metric, day, *dims)
    drop_expired_days(st, "contacted", st.contacted, 0, last_day)  # (day, member)
