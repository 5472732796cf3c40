"""Time is bounded by the evaluation clock (SPEC "Time and windows"), as properties.

Far-future events (days to years ahead, up to the end of 2099) mixed into a valid log change
no record: in replay at any `as_of` (pruning after every event, so nothing they could have
expired survives by luck), and live, where the clock advances in steps while events (valid,
early, duplicated and far-future) arrive: after each step the accumulated records equal
`replay --as-of` that step of the events the live engine did not refuse.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kpis import Engine
from kpis.engine import FUTURE
from models import parse_event

from .strategies import DAY_US, OFFSETS, Log, event_logs
from .test_engine_vs_oracle import AS_OF_CHOICES, SETTINGS, insert_at, output, pick_as_of

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LAST_PLAUSIBLE = (datetime(2100, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1) - 1


@st.composite
def far_future(draw: st.DrawFn, log: Log, after: int) -> list[str]:
    """Copies of the log's events moved more than a day after `after` (a week to the end of
    2099), some under a new event id, some keeping the id of the valid event they copy."""
    lines = []
    for n in range(draw(st.integers(1, 4))):
        event: dict[str, Any] = dict(draw(st.sampled_from(log.events)))
        ahead = draw(
            st.one_of(
                st.integers(DAY_US + 1, 30 * DAY_US),
                st.integers(30 * DAY_US, 3 * 365 * DAY_US),
                st.integers(after + DAY_US + 1, LAST_PLAUSIBLE).map(lambda t: t - after),
            )
        )
        moment = EPOCH + timedelta(microseconds=min(after + ahead, LAST_PLAUSIBLE))
        event["occurred_at"] = moment.astimezone(draw(st.sampled_from(OFFSETS))).isoformat()
        if draw(st.booleans()):
            event["event_id"] = f"future-{n}"
        lines.append(json.dumps(event))
    return lines


def pruned_records(lines: list[str], as_of: int) -> list[str]:
    """Replay's rules with a prune after every event."""
    engine = Engine(apply_until=as_of)
    for line in lines:
        engine.apply(parse_event(line))
        engine.prune()
    return [record.to_json() for record in engine.evaluate(as_of)]


@SETTINGS
@given(log=event_logs(), choice=AS_OF_CHOICES, data=st.data())
def test_far_future_events_change_nothing_in_replay(
    log: Log, choice: tuple[int, int], data: st.DataObject
) -> None:
    as_of = pick_as_of(log, choice)
    future = data.draw(far_future(log, max(as_of, log.last_time)), label="future")
    mixed = insert_at(data, log.lines, future)
    assert pruned_records(mixed, as_of) == pruned_records(log.lines, as_of)
    assert output(mixed, as_of) == output(log.lines, as_of)


@SETTINGS
@given(log=event_logs(min_events=2), data=st.data())
def test_live_holding_equals_replay_at_every_step(log: Log, data: st.DataObject) -> None:
    first, last = min(log.times), log.last_time
    clock = st.integers(first - DAY_US, last + DAY_US)
    steps = sorted(data.draw(st.lists(clock, min_size=1, max_size=4), label="steps"))
    future = data.draw(far_future(log, steps[-1]), label="future")
    copies = data.draw(st.lists(st.sampled_from(log.lines), max_size=4), label="duplicates")
    lines = insert_at(data, log.lines, [*future, *copies])
    # each line arrives after one of the steps (the clock moves, then a batch comes in)
    arrival = [data.draw(st.integers(0, len(steps) - 1), label="arrival") for _ in lines]
    engine = Engine.live(steps[0])
    accepted: list[str] = []
    for k, now in enumerate(steps):
        engine.advance(now)
        for line, at in zip(lines, arrival, strict=True):
            if at == k:
                refused = engine.apply(parse_event(line)) == FUTURE
                assert refused == _ahead(line, now)  # never for a valid event in time
                assert refused or line not in future
                if not refused:
                    accepted.append(line)
        engine.prune()
        for _account, state in engine.store.accounts():
            assert state.watermark <= now
        live = [record.to_json() for record in engine.evaluate(now)]
        assert live == output(accepted, now), f"step {k} at {now}"


def _ahead(line: str, now: int) -> bool:
    """Further than max_future (the default, a day) ahead of the clock."""
    moment = datetime.fromisoformat(json.loads(line)["occurred_at"])
    return (moment - EPOCH) // timedelta(microseconds=1) > now + DAY_US
