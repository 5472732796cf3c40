"""Properties of the engine's bookkeeping.

Pruning is never arithmetic: over logs long enough for every retention to expire (the
generated logs stretched to about 500 days), applying the events in time order gives the
same records whether the engine prunes after every event or never. The worker prunes every
few minutes and replay every 250k events, so a KPI that depended on when prune ran would
make the two disagree over long histories. And replay's block-wise `apply_all` is `apply`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kpis.engine import Engine
from models import parse_event

from .strategies import Log, event_logs
from .test_engine_vs_oracle import SETTINGS

STRETCH = (1, 4, 20)  # 25 days -> 100 days (one invitation retention) -> 500 days


def stretched(log: Log, factor: int) -> list[tuple[int, str]]:
    """The log's events in time order, every time `factor` times further from the first."""
    origin = min(log.times)
    out = []
    for event, t in zip(log.events, log.times, strict=True):
        moment = datetime.fromisoformat(event["occurred_at"])
        shift = timedelta(microseconds=(t - origin) * (factor - 1))
        copy: dict[str, Any] = {**event, "occurred_at": (moment + shift).isoformat()}
        out.append((origin + (t - origin) * factor, json.dumps(copy)))
    out.sort(key=lambda item: item[0])
    return out


def records(lines: list[str], prune_every_event: bool) -> list[str]:
    engine = Engine()
    for line in lines:
        engine.apply(parse_event(line))
        if prune_every_event:
            engine.prune()
    assert engine.max_event_time is not None
    return [record.to_json() for record in engine.evaluate(engine.max_event_time)]


@settings(SETTINGS)
@given(log=event_logs(min_events=2), factor=st.sampled_from(STRETCH))
def test_prune_never_changes_the_records(log: Log, factor: int) -> None:
    lines = [line for _t, line in stretched(log, factor)]
    assert records(lines, prune_every_event=True) == records(lines, prune_every_event=False), (
        "\n".join(lines)
    )


@settings(SETTINGS)
@given(log=event_logs(), as_of_cut=st.sampled_from([None, 0.5]))
def test_apply_all_is_apply_per_event(log: Log, as_of_cut: float | None) -> None:
    """Replay's block-wise `apply_all` has the effects and the stats of `apply` per event."""
    events = [parse_event(line) for line in log.lines]
    until = None if as_of_cut is None else sorted(log.times)[int(len(log.times) * as_of_cut)]
    one, block = Engine(apply_until=until), Engine(apply_until=until)
    for event in events:
        one.apply(event)
    block.apply_all(events)
    assert one.stats == block.stats and one.max_event_time == block.max_event_time
    if one.max_event_time is not None:
        assert one.evaluate(one.max_event_time) == block.evaluate(block.max_event_time)
