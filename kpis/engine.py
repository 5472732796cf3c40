"""The KPI engine: apply validated events by event time, evaluate KPI records at an `as_of`.

Plain Python, no Faust/Kafka/Redis: `socialkpi replay` and the live worker run this code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from kpis import actors, ads, content, invitations, messages, outcomes, profile
from kpis.config import EngineConfig
from kpis.daily import day_expired
from kpis.details import AccountDetails, account_details
from kpis.emit import Emitter
from kpis.state import AccountState
from kpis.store import MemoryStore, StateStore
from kpis.timeutil import format_ts, to_us_fast
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

# Outcomes of `Engine.apply`, also the keys of `Engine.stats`.
APPLIED, DUPLICATE, LATE, AFTER_AS_OF = "applied", "duplicate", "late", "after_as_of"


class Engine:
    """Applies events into a `StateStore`; order of arrival never changes the records."""

    def __init__(
        self,
        config: EngineConfig | None = None,
        store: StateStore | None = None,
        processing_clock: Callable[[], int] | None = None,
        apply_until: int | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self.store: StateStore = store if store is not None else MemoryStore()
        # Processing time (not event time) ages the duplicate-id memory.
        self.processing_clock = processing_clock or (lambda: 0)
        self.apply_until = apply_until
        self.stats: Counter[str] = Counter()
        self.max_event_time: int | None = None

    def apply(self, event: Event) -> str:
        """Apply one validated event; returns applied, duplicate, late or after_as_of."""
        t = to_us_fast(event.occurred_at)
        if self.apply_until is not None and t > self.apply_until:
            self.stats[AFTER_AS_OF] += 1
            return AFTER_AS_OF
        st = self.store.get(event.account_id)
        event_id = event.event_id
        if event_id in st.seen:
            self.stats[DUPLICATE] += 1
            return DUPLICATE
        st.seen[event_id] = self.processing_clock()
        if st.dirty is not None:
            st.dirty.add(("seen", event_id))
        applied = HANDLERS[event.type](st, event, t, self.config)
        if t > st.watermark:
            st.watermark = t
        if self.max_event_time is None or t > self.max_event_time:
            self.max_event_time = t
        outcome = APPLIED if applied else LATE
        self.stats[outcome] += 1
        return outcome

    def evaluate(self, as_of: int) -> list[KpiRecord]:
        """All KPI records of every account at `as_of`, in a stable order."""
        label = format_ts(as_of)
        records: list[KpiRecord] = []
        for account_id, st in self.store.accounts():
            emit = Emitter(account_id, as_of, label)
            for evaluate in EVALUATORS:
                evaluate(st, emit, self.config)
            records.extend(emit.records)
        records.sort(key=KpiRecord.sort_key)
        return records

    def details(self, account_id: str, as_of: int) -> AccountDetails:
        """Ranked warm prospects and stale invitations (member ids in clear: pseudonymize)."""
        return account_details(self.store.get(account_id), as_of, self.config)

    def prune(self) -> None:
        """Expire closed windows and old ids; safe at any time, never changes the records."""
        now = self.processing_clock()
        for _account_id, st in self.store.accounts():
            for prune in PRUNERS:
                prune(st, self.config)
            _prune_entities(st, self.config)
            horizon = now - self.config.dedup_retention_us
            for event_id in [e for e, seen_at in st.seen.items() if seen_at < horizon]:
                del st.seen[event_id]
                st.touch("seen", event_id)


def _prune_entities(st: AccountState, cfg: EngineConfig) -> None:
    horizon = st.watermark - cfg.invitation_retention_us
    for inv_id in [i for i, inv in st.invitations.items() if inv.last_time() <= horizon]:
        del st.invitations[inv_id]
        st.touch("invitations", inv_id)
    for conv_id in [c for c, conv in st.conversations.items() if conv.last_time() <= horizon]:
        del st.conversations[conv_id]
        st.touch("conversations", conv_id)
    expired = [k for k in st.daily if day_expired(st, int(k[1]), cfg.bucket_retention_us)]
    for key in expired:
        del st.daily[key]
        st.touch("daily", key)
    gone = [k for k in st.contacted if day_expired(st, k[0], cfg.bucket_retention_us)]
    for contact in gone:
        del st.contacted[contact]
        st.touch("contacted", contact)
