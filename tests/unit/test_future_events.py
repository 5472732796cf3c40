"""SPEC "Time and windows": time is bounded by the evaluation clock (kpis/engine.py,
kpis/pending.py). Replay never applies an event after `as_of`; live, an event up to
`max_future` ahead waits in its account's state until `advance` reaches it, and one further
ahead is refused (`future`). No event moves a watermark past the evaluation time."""

from __future__ import annotations

import json

import pytest

from kpis import Engine, EngineConfig, MemoryStore
from kpis.engine import (
    AFTER_AS_OF,
    APPLIED,
    DUPLICATE,
    FUTURE,
    HELD,
    LATE,
    RELEASED,
    UNREADABLE,
)
from kpis.state import NO_TIME
from kpis.timeutil import DAY_US, HOUR_US
from models import parse_event

from .helpers import (
    Event,
    accepted,
    ad,
    interaction,
    msg_received,
    msg_sent,
    outcome,
    parse,
    profile,
    published,
    report,
    sent,
    shift,
    snapshot,
    ssi,
    us,
)

NOW = "2026-11-20T12:00:00Z"
YESTERDAY = shift(NOW, days=-1)


def _history() -> list[Event]:
    """20 valid events of every family over the last 30 days."""
    start = shift(NOW, days=-30)
    at = [shift(start, hours=31 * i) for i in range(20)]
    return [
        sent("i1", at[0]),
        sent("i2", at[1]),
        accepted("i1", at[2]),
        published("p1", at[3]),
        interaction("p1", "view", at[4], count=40),
        interaction("p1", "reaction", at[5], actor="a1", degree=2),
        interaction("p1", "comment", at[6], actor="a1"),
        snapshot("p2", at[7], views=100, reactions=4),
        msg_sent("c1", at[8]),
        msg_received("c1", at[9]),
        ad("impression", at[10], count=1200, cost="18.40"),
        ad("click", at[11], count=3),
        report(at[12][:10], at[13], 900, 9, "12.50"),
        profile(at[14], connections=500, followers=800, ssi=ssi(10, 12.5, 11, 14)),
        outcome("lead", at[15], "m1"),
        outcome("customer_won", at[16], "m1", value="1200.00"),
        sent("i3", at[17]),
        accepted("i2", at[18]),
        profile(at[19], connections=510),
        interaction("p1", "click", at[19]),
    ]


def _yesterday() -> list[Event]:
    """10 valid events dated yesterday."""
    at = [shift(YESTERDAY, minutes=7 * i) for i in range(10)]
    return [
        sent("i4", at[0]),
        accepted("i3", at[1]),
        interaction("p1", "share", at[2], actor="a1"),
        interaction("p1", "view", at[3], count=5),
        msg_sent("c2", at[4]),
        ad("impression", at[5], count=100, cost="2.00"),
        ad("click", at[6]),
        profile(at[7], followers=805),
        outcome("meeting", at[8], "m2"),
        sent("i5", at[9], inbound=True),
    ]


FAR_FUTURE = sent("i-future", "2099-06-01T00:00:00Z")


def _records(engine: Engine, as_of: str) -> list[str]:
    return [record.to_json() for record in engine.evaluate(us(as_of))]


def _apply(engine: Engine, events: list[Event], prune: bool = True) -> list[str]:
    outcomes = []
    for parsed in parse(events):
        outcomes.append(engine.apply(parsed))
        if prune:
            engine.prune()
    return outcomes


@pytest.mark.parametrize("mode", ["replay", "live"])
def test_one_far_future_event_changes_nothing(mode: str) -> None:
    """The issue's account: 20 events, one dated 2099, then 10 dated yesterday."""
    events = [*_history(), FAR_FUTURE, *_yesterday()]
    assert len(events) == 31

    def make() -> Engine:
        return Engine(apply_until=us(NOW)) if mode == "replay" else Engine.live(us(NOW))

    engine, clean = make(), make()
    outcomes = _apply(engine, events)
    _apply(clean, [e for e in events if e is not FAR_FUTURE])
    assert outcomes[20] == (AFTER_AS_OF if mode == "replay" else FUTURE)
    assert LATE not in outcomes
    assert engine.stats[LATE] == 0 and engine.stats[APPLIED] == 30
    assert engine.store.get("rep-1").watermark <= us(NOW)
    assert _records(engine, NOW) == _records(clean, NOW)
    assert engine.pending_count() == 0
    records = engine.evaluate(us(NOW))
    assert any(r.kpi == "connections" and r.period == "latest" for r in records)


def test_live_holds_an_event_until_the_clock_reaches_it() -> None:
    engine = Engine.live(us(NOW))
    soon = sent("i9", shift(NOW, hours=3))
    assert _apply(engine, [*_history(), soon]) == [APPLIED] * 20 + [HELD]
    assert engine.pending_count() == 1
    st = engine.store.get("rep-1")
    assert set(st.pending) == {soon["event_id"]} and st.watermark <= us(NOW)
    before = _records(engine, NOW)
    assert engine.advance(us(shift(NOW, hours=2))) == 0  # not yet
    assert _records(engine, NOW) == before
    later = shift(NOW, hours=3)
    assert engine.advance(us(later)) == 1
    assert engine.pending_count() == 0 and not st.pending
    assert engine.stats[HELD] == 1 and engine.stats[RELEASED] == 1
    assert engine.stats[APPLIED] == 21
    replayed = Engine(apply_until=us(later))
    _apply(replayed, [*_history(), soon], prune=False)
    assert _records(engine, later) == _records(replayed, later)


def test_a_duplicate_of_a_parked_event_is_parked_once_and_counted_once() -> None:
    engine = Engine.live(us(NOW))
    soon = ad("impression", shift(NOW, minutes=30), count=7, cost="1.50")
    assert _apply(engine, [soon, soon]) == [HELD, DUPLICATE]
    assert engine.pending_count() == 1
    assert engine.advance(us(shift(NOW, hours=1))) == 1
    assert _apply(engine, [soon]) == [DUPLICATE]  # applied once: now in the seen ids
    records = engine.evaluate(us(shift(NOW, hours=1)))
    [impressions] = [r.value for r in records if r.kpi == "ad_impressions"]
    assert impressions == 7


def test_further_than_max_future_is_refused_and_the_edge_is_held() -> None:
    engine = Engine.live(us(NOW), EngineConfig(max_future_us=24 * HOUR_US))
    edge = sent("i1", shift(NOW, hours=24))
    beyond = sent("i2", shift(NOW, hours=24, micros=1))
    assert _apply(engine, [edge, beyond]) == [HELD, FUTURE]
    assert engine.stats[FUTURE] == 1 and engine.pending_count() == 1


def test_parked_events_per_account_are_capped() -> None:
    engine = Engine.live(us(NOW), EngineConfig(max_pending_per_account=2))
    later = [sent(f"i{n}", shift(NOW, minutes=n + 1)) for n in range(3)]
    other = sent("i9", shift(NOW, minutes=5), account="rep-2")
    assert _apply(engine, [*later, other]) == [HELD, HELD, FUTURE, HELD]
    assert engine.pending_count() == 3


def test_advance_releases_in_time_order_through_the_normal_path() -> None:
    """Arrival order of the parked events does not matter; the clock never goes back."""
    engine = Engine.live(us(NOW))
    second = accepted("i1", shift(NOW, hours=2))
    first = sent("i1", shift(NOW, hours=1))
    assert _apply(engine, [second, first]) == [HELD, HELD]
    assert engine.advance(us(shift(NOW, hours=5))) == 2
    assert engine.advance(us(NOW)) == 0
    assert engine.apply_until == us(shift(NOW, hours=5))  # monotonic
    records = engine.evaluate(us(shift(NOW, hours=5)))
    rates = {r.period: r.value for r in records if r.kpi == "invitation_acceptance_rate"}
    assert rates == {"rolling_96h": 1.0, "day:2026-11-20": 1.0}
    assert engine.stats[LATE] == 0


def test_every_event_type_is_released_exactly_as_it_arrived() -> None:
    """The parked JSON re-parses to the same event (offsets, microseconds, floats, dates)."""
    at = "2026-11-20T18:30:00.123456+05:30"  # 13:00:00.123456Z, an hour after NOW
    events = [
        sent("i1", at, target=True),
        interaction("p1", "reaction", at, count=3, actor="a1", degree=1, actor_is_target=True),
        snapshot("p1", at, views=10),
        ad("click", at, count=2, cost="0.333333333", format="carousel", card_index=2),
        report("2026-11-19", at, 10, 1, "1.5"),
        profile(at, ssi=ssi(1, 2.5, 0, 25, network_rank_pct=99.9), connections=3),
        outcome("customer_won", at, "m1", value="10.00", currency="USD"),
        msg_received("c1", at, source="collector-x"),
    ]
    engine = Engine.live(us(NOW))
    parsed = parse(events)
    for event in parsed:
        assert engine.apply(event) == HELD
    st = engine.store.get("rep-1")
    for event in parsed:
        t, text = st.pending[event.event_id]
        assert t == us(at) and parse_event(text) == event
        assert parse_event(text).occurred_at.utcoffset() == event.occurred_at.utcoffset()


def test_reindex_after_the_store_is_rebuilt() -> None:
    """A restarted worker: a new engine over a store that already holds parked events."""
    store = MemoryStore()
    first = Engine.live(us(NOW), store=store)
    _apply(first, [sent("i1", shift(NOW, hours=1)), sent("i2", shift(NOW, hours=2))])
    restarted = Engine.live(us(NOW), store=store)
    assert restarted.pending_count() == 0
    assert restarted.reindex_pending() == 2
    assert restarted.advance(us(shift(NOW, hours=1))) == 1
    assert restarted.pending_count() == 1
    assert restarted.advance(us(shift(NOW, hours=3))) == 1
    assert restarted.stats[APPLIED] == 2


def test_an_unreadable_parked_event_is_counted_and_dropped() -> None:
    engine = Engine.live(us(NOW))
    _apply(engine, [sent("i1", shift(NOW, hours=1))])
    st = engine.store.get("rep-1")
    [event_id] = st.pending
    st.pending[event_id] = (st.pending[event_id][0], json.dumps({"type": "gone"}))
    assert engine.advance(us(shift(NOW, hours=1))) == 0
    assert engine.stats[UNREADABLE] == 1 and not st.pending


def test_replay_mode_never_moves_a_watermark_past_as_of() -> None:
    engine = Engine(apply_until=us(NOW))
    _apply(engine, [sent("i1", NOW), sent("i2", shift(NOW, micros=1))])
    assert engine.store.get("rep-1").watermark == us(NOW)
    assert engine.stats[AFTER_AS_OF] == 1 and engine.pending_count() == 0
    assert engine.store.get("rep-2").watermark == NO_TIME


def test_live_mode_needs_a_clock() -> None:
    with pytest.raises(ValueError):
        Engine(max_future_us=DAY_US)


def test_parked_events_and_recent_profile_values_survive_the_changelog_codec() -> None:
    """The worker's table-backed store writes every dict namespace of AccountState."""
    from streams.codec import decode_key, decode_value, encode_key, encode_value
    from streams.store import NAMESPACES

    assert {"pending", "profile_recent"} <= NAMESPACES
    engine = Engine.live(us(NOW))
    _apply(engine, [sent("i1", shift(NOW, hours=1)), profile(NOW, connections=5)])
    st = engine.store.get("rep-1")
    for namespace in ("pending", "profile_recent"):
        entries = getattr(st, namespace)
        assert entries
        for key, value in entries.items():
            assert decode_key(encode_key(key)) == key
            assert decode_value(encode_value(value)) == value
