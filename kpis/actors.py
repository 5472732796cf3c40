"""Interaction history per actor and warm prospects (seed 000)."""

from __future__ import annotations

from dataclasses import dataclass

from kpis.config import EngineConfig
from kpis.daily import last_expired_day
from kpis.emit import Emitter, bucket_next_change, retained_day_cutoff
from kpis.state import AccountState, Actor
from kpis.timeutil import DAY_US, day_of
from models.events import PostInteraction

HISTORY_KINDS = frozenset(("reaction", "comment", "share"))
BUCKETS = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3", 3, 3),
    ("4", 4, 4),
    ("5", 5, 5),
    ("6-9", 6, 9),
    ("10-24", 10, 24),
    ("25+", 25, None),
)


def on_interaction(st: AccountState, ev: PostInteraction, t: int, cfg: EngineConfig) -> bool:
    """Feed the actor's history; False when the event is too old for it."""
    actor_id = ev.actor_id
    if actor_id is None:
        return False
    day = t // DAY_US
    if (day + 1) * DAY_US <= st.watermark - cfg.actor_retention_us:  # `day_expired`, inlined
        return False
    actor = st.actors.get(actor_id)
    if actor is None:
        actor = st.actors[actor_id] = Actor()
    if ev.kind in HISTORY_KINDS:
        days = actor.days
        days[day] = days.get(day, 0) + ev.count
    degree = ev.actor_degree
    if degree is not None and (
        t > actor.degree_at or (t == actor.degree_at and degree > (actor.degree or 0))
    ):
        actor.degree_at, actor.degree = t, degree
    if st.dirty is not None:
        st.dirty.add(("actors", actor_id))
    return True


@dataclass(frozen=True, slots=True)
class WarmProspect:
    actor_id: str
    interactions: int
    degree: int | None

    @property
    def invite_to_connect(self) -> bool:
        return self.degree != 1


def interaction_counts(st: AccountState, as_of: int, cfg: EngineConfig) -> dict[str, int]:
    first_day, last_day = retained_day_cutoff(as_of, cfg.actor_retention_us), day_of(as_of)
    counts: dict[str, int] = {}
    for actor_id, actor in st.actors.items():
        days = actor.days
        if not days:
            continue
        if first_day <= min(days) and max(days) <= last_day:  # usually: all retained
            total = sum(days.values())
        else:
            total = sum(n for day, n in days.items() if first_day <= day <= last_day)
        if total:
            counts[actor_id] = total
    return counts


def warm_prospects(
    st: AccountState, as_of: int, cfg: EngineConfig, counts: dict[str, int] | None = None
) -> list[WarmProspect]:
    """Actors with at least `warm_prospect_min` interactions, most engaged first."""
    if counts is None:
        counts = interaction_counts(st, as_of, cfg)
    warm = [
        WarmProspect(actor_id, n, st.actors[actor_id].degree)
        for actor_id, n in counts.items()
        if n >= cfg.warm_prospect_min
    ]
    warm.sort(key=lambda w: (-w.interactions, w.actor_id))
    return warm


def evaluate(st: AccountState, emit: Emitter, cfg: EngineConfig) -> list[WarmProspect]:
    """The records; returns the ranked warm prospects (`warm_prospects`) they count."""
    counts = interaction_counts(st, emit.as_of, cfg)
    if not counts:
        return []
    histogram = dict.fromkeys((label for label, _, _ in BUCKETS), 0)
    for n in counts.values():
        for label, low, high in BUCKETS:
            if n >= low and (high is None or n <= high):
                histogram[label] += 1
                break
    for label, actors in histogram.items():
        emit("actors_by_interaction_count", "total", actors, bucket=label)
    warm = warm_prospects(st, emit.as_of, cfg, counts)
    emit("warm_prospects", "total", len(warm))
    emit("warm_prospects_to_invite", "total", sum(w.invite_to_connect for w in warm))
    return warm


def next_change(st: AccountState, as_of: int, cfg: EngineConfig) -> int | None:
    """When `evaluate` may change with no event: a day of history enters or leaves."""
    days = {day for actor in st.actors.values() for day in actor.days}
    return bucket_next_change(as_of, days, cfg.actor_retention_us)


def prune(st: AccountState, cfg: EngineConfig) -> None:
    """Expire history past retention, then evict the least active actors beyond the cap."""
    last_day = last_expired_day(st, cfg.actor_retention_us)  # day_expired: day <= last_day
    for actor_id, actor in list(st.actors.items()):
        days = actor.days
        if days and min(days) <= last_day:
            for day in [d for d in days if d <= last_day]:
                del days[day]
            st.touch("actors", actor_id)
        if not days and actor.degree_at // DAY_US <= last_day:
            del st.actors[actor_id]
            st.touch("actors", actor_id)
    excess = len(st.actors) - cfg.max_actors_per_account
    if excess > 0:
        by_activity = sorted(st.actors, key=lambda a: (sum(st.actors[a].days.values()), a))
        for actor_id in by_activity[:excess]:
            del st.actors[actor_id]
            st.touch("actors", actor_id)
