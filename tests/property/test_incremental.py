"""Incremental evaluation (`Engine.evaluate_account`, `due_accounts`) as a property.

A live engine receives random logs in a random arrival order (late and out-of-order events,
exact duplicates, far-future copies it holds or refuses), interleaved with clock ticks at
random times and at the times the KPIs change with no event (an event time plus a window
length, give or take a microsecond: 24 h, 48 h, 96 h, 7/21/30/32/90 days, midnights, a
day's end plus a retention), with the default settings and with retentions shorter than
the logs (so that everything expires between ticks), prune calls, and full re-evaluations
of a random account (a refill). At every tick only the accounts `due_accounts(now)` lists
are evaluated, and the deltas, applied to a dict, must equal `Engine.evaluate(now)`: every
record, value and type alike.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kpis import Engine, EngineConfig
from kpis.content import CURVE_KPIS
from kpis.incremental import AccountEvaluation, same_value
from kpis.timeutil import format_ts
from models import parse_event
from models.records import KpiRecord, RecordValue, record_key

from .strategies import DAY_US, HOUR_US, Log, event_logs
from .test_engine_vs_oracle import SETTINGS, insert_at
from .test_future_events import far_future
from .test_prune_invariance import stretched

# Besides the defaults, retentions shorter than the logs' 25-day span (the engine is compared
# with itself, not with the oracle): every expiry happens between ticks.
SHORT = EngineConfig(
    bucket_retention_us=11 * DAY_US,
    post_retention_us=4 * DAY_US,
    actor_retention_us=6 * DAY_US,
    invitation_retention_us=23 * DAY_US,
    stale_pending_after_us=3 * DAY_US,
    curve_hours=5,
)
CONFIGS = st.sampled_from([EngineConfig(), EngineConfig(), SHORT])


def edges(cfg: EngineConfig) -> list[int]:
    """Window lengths and thresholds: a tick at an event time plus one of these (and a
    microsecond around it) is where a record changes with no event."""
    lengths = {0, HOUR_US, 24 * HOUR_US, 7 * DAY_US, 30 * DAY_US, 32 * DAY_US}
    lengths |= {cfg.acceptance_window_us, cfg.stale_pending_after_us, cfg.post_retention_us}
    lengths |= {cfg.invitation_retention_us, cfg.curve_hours * HOUR_US}
    lengths.add((cfg.curve_hours - 1) * HOUR_US)
    return sorted(lengths)


def retentions(cfg: EngineConfig) -> list[int]:
    """Retentions of day-bucketed state: a day leaves them at its end plus the retention."""
    return sorted({cfg.bucket_retention_us, cfg.actor_retention_us, cfg.post_retention_us})


View = dict[tuple[str, str], RecordValue]


def apply(view: View, evaluation: AccountEvaluation, now: int) -> None:
    account = evaluation.account_id
    assert evaluation.as_of == now
    if evaluation.full:
        assert not evaluation.deletes
        for key in [k for k in view if k[0] == account]:
            del view[key]
    label = format_ts(now)
    for record in evaluation.upserts:
        assert record.account_id == account and record.as_of == label
        key = (account, record_key(record))
        assert evaluation.full or key not in view or not same_value(view[key], record.value)
        view[key] = record.value
    for deleted in evaluation.deletes:
        del view[(account, record_key(deleted))]  # only records that exist are deleted


def full_view(records: list[KpiRecord]) -> View:
    return {(r.account_id, record_key(r)): r.value for r in records}


def differences(expected: View, actual: View) -> list[str]:
    out = []
    for key in sorted(expected.keys() | actual.keys()):
        if key not in actual:
            out.append(f"missing {key} = {expected[key]!r}")
        elif key not in expected:
            out.append(f"extra   {key} = {actual[key]!r}")
        elif not same_value(expected[key], actual[key]):
            out.append(f"differs {key}: {expected[key]!r} != {actual[key]!r}")
    return out


@st.composite
def clock_steps(draw: st.DrawFn, times: list[int], cfg: EngineConfig) -> list[int]:
    """Sorted tick times: at change points of the log's events (often three, a microsecond
    apart, or a pair with the next a little later: a change point evaluated at or just
    before its time must still be kept), at midnights, and anywhere."""
    first, last = min(times), max(times)
    steps = []
    for _ in range(draw(st.integers(1, 10))):
        if draw(st.integers(0, 3)):
            t = draw(st.sampled_from(times)) + draw(st.sampled_from(edges(cfg)))
            if draw(st.booleans()):  # the edge and a microsecond on either side
                steps += [t - 1, t]
                t += 1
            else:
                t += draw(st.sampled_from([0, 0, -1, 1]))
        elif draw(st.booleans()):
            midnight = (draw(st.sampled_from(times)) // DAY_US + draw(st.integers(1, 3))) * DAY_US
            if draw(st.booleans()):
                midnight += draw(st.sampled_from(retentions(cfg)))
            t = midnight + draw(st.sampled_from([0, -1, 1]))
        else:
            t = draw(st.integers(first - DAY_US, last + 95 * DAY_US))
        steps.append(t)
        if draw(st.booleans()):
            steps.append(t + draw(st.sampled_from([1, 2, 60_000_000])))
    return sorted(steps)


def check_ticks(
    lines: list[str],
    times: list[int],
    data: st.DataObject,
    cfg: EngineConfig,
    steps: list[int] | None = None,
) -> None:
    if steps is None:
        steps = data.draw(clock_steps(times, cfg), label="steps")
    arrival = sorted(data.draw(st.integers(0, len(steps)), label="arrival") for _ in lines)
    clock = {"now": steps[0] - 1}
    engine = Engine.live(steps[0] - 1, cfg, processing_clock=lambda: clock["now"])
    view: View = {}
    k = 0
    for step, now in enumerate(steps):
        clock["now"] = now
        while k < len(lines) and arrival[k] <= step:  # a batch arrives, then the clock moves
            engine.apply(parse_event(lines[k]))
            k += 1
        engine.advance(now)
        if data.draw(st.integers(0, 2), label="prune") == 0:
            engine.prune()
        due = engine.due_accounts(now)
        for account in due:
            apply(view, engine.evaluate_account(account, now), now)
        accounts = [account for account, _st in engine.store.accounts()]
        if accounts and data.draw(st.integers(0, 4), label="refill") == 0:
            refilled = data.draw(st.sampled_from(accounts), label="refilled")
            apply(view, engine.evaluate_account(refilled, now, full=True), now)
        for account in accounts:
            if account not in due:  # nothing changed in an account that is not due
                evaluation = engine.evaluate_account(account, now)
                assert not evaluation.upserts and not evaluation.deletes, (account, now)
                assert evaluation.full or not evaluation.changed, (account, now)
        expected = engine.evaluate(now)
        problems = differences(full_view(expected), view)
        assert not problems, f"tick {step} at {format_ts(now)}:\n" + "\n".join(problems[:20])
        check_account_views(engine, expected, accounts)


def check_account_views(engine: Engine, expected: list[KpiRecord], accounts: list[str]) -> None:
    """What the gauges and alerts read (`account_view`) is the evaluation minus the curves."""
    for account in accounts:
        account_view = engine.account_view(account)
        mine = [r for r in expected if r.account_id == account]
        assert account_view is not None and account_view.record_count == len(mine), account
        no_curves = [r for r in mine if r.kpi not in CURVE_KPIS]
        assert full_view(account_view.records) == full_view(no_curves), account


@SETTINGS
@given(log=event_logs(min_events=1), cfg=CONFIGS, data=st.data())
def test_accumulated_deltas_equal_the_full_evaluation(
    log: Log, cfg: EngineConfig, data: st.DataObject
) -> None:
    lines = list(log.lines)
    if data.draw(st.booleans(), label="shuffle"):
        lines = data.draw(st.permutations(lines), label="order")
    copies = data.draw(st.lists(st.sampled_from(log.lines), max_size=3), label="duplicates")
    future = (
        data.draw(far_future(log, log.last_time), label="future")
        if data.draw(st.booleans(), label="with future")
        else []
    )
    lines = insert_at(data, lines, [*copies, *future])
    check_ticks(lines, log.times, data, cfg)


@SETTINGS
@given(log=event_logs(min_events=2), factor=st.sampled_from([4, 20]), data=st.data())
def test_deltas_over_long_histories(log: Log, factor: int, data: st.DataObject) -> None:
    """Logs stretched to 100 or 500 days: retentions expire between ticks."""
    timed = stretched(log, factor)
    times = [t for t, _line in timed]
    lines: list[Any] = [line for _t, line in timed]
    if data.draw(st.booleans(), label="shuffle"):
        lines = data.draw(st.permutations(lines), label="order")
    check_ticks(lines, times, data, EngineConfig())


@settings(SETTINGS, max_examples=max(10, SETTINGS.max_examples // 3))
@given(log=event_logs(min_events=1, max_events=8), cfg=CONFIGS, data=st.data())
def test_deltas_at_every_change_point(log: Log, cfg: EngineConfig, data: st.DataObject) -> None:
    """Small logs, a tick at every event time plus every window length or retention, and a
    microsecond on either side: no change point can be skipped by luck."""
    lines = data.draw(st.permutations(log.lines), label="order")
    ticks = {t + edge for t in log.times for edge in edges(cfg)}
    ticks |= {(t // DAY_US + 1) * DAY_US + r for t in log.times for r in (0, *retentions(cfg))}
    steps = sorted({t + jitter for t in ticks for jitter in (-1, 0, 1)})
    check_ticks(lines, log.times, data, cfg, steps)
