"""The worker's acceptance-rate evaluator: conditions, ``for:`` in evaluation time,
transitions, overrides, baseline, state and the JSON transition record."""

from __future__ import annotations

import json

import pytest
from alert_records import account_records, as_of, cohort, day

from alerting.config import AlertingConfig, ThresholdOverrides, Thresholds
from alerting.evaluator import AlertEvaluator, AlertTransition, check_rules

LOW, BASE = "InvitationAcceptanceRateLow", "InvitationAcceptanceRateBelowBaseline"
CONFIG = AlertingConfig(
    thresholds=Thresholds(acceptance_rate_min=0.3, acceptance_min_cohort_sent=20),
    overrides={"page": ThresholdOverrides(acceptance_rate_min=0.2, acceptance_min_cohort_sent=5)},
).with_sustain("0s", **{LOW: "15m", BASE: "1h"})


def run(
    ev: AlertEvaluator,
    account: str,
    step: int,
    sent: int,
    accepted: int,
    older: tuple[int, int] = (0, 0),
    outside: tuple[int, int] = (40, 40),
) -> list[AlertTransition]:
    records = account_records(account, as_of(step), sent, accepted, older, outside)
    return ev.evaluate(account, records)


def test_conditions_threshold_and_min_sample() -> None:
    def low(account: str, sent: int, accepted: int) -> bool:
        checks = check_rules(CONFIG, account, account_records(account, as_of(0), sent, accepted))
        return next(c for c in checks if c.rule == LOW).holds

    assert low("rep", 20, 5)  # 25 % of exactly the minimum
    assert not low("rep", 19, 0)  # one short of the minimum sample
    assert not low("rep", 20, 6)  # exactly 30 %: not under
    assert not low("rep", 0, 0)  # empty cohort: no rate
    assert not low("page", 10, 3)  # override: 30 % is fine under 20 %
    assert low("page", 5, 0)  # override: min sample 5
    check = check_rules(CONFIG, "rep", account_records("rep", as_of(0), 24, 5))[0]
    assert (check.value, check.threshold, check.sample) == (5 / 24, 0.3, 24)


def test_for_is_measured_in_evaluation_time() -> None:
    ev = AlertEvaluator(CONFIG)
    assert run(ev, "rep", 0, 20, 4) == []  # pending from minute 0
    assert run(ev, "rep", 14, 20, 4) == []
    (fired,) = run(ev, "rep", 15, 20, 4)
    assert (fired.state, fired.rule, fired.account_id) == ("firing", LOW, "rep")
    assert (fired.at, fired.active_since) == (as_of(15), as_of(0))
    assert (fired.value, fired.threshold, fired.sample) == (0.2, 0.3, 20)
    assert run(ev, "rep", 16, 20, 4) == []  # already firing: no new transition
    assert ev.firing() == {("rep", LOW)}
    (resolved,) = run(ev, "rep", 17, 20, 10)
    assert (resolved.state, resolved.value, resolved.active_since) == ("resolved", 0.5, as_of(0))
    assert ev.firing() == set() and ev.export_state("rep") == {}


def test_a_break_restarts_the_sustain_and_absence_resolves() -> None:
    ev = AlertEvaluator(CONFIG)
    run(ev, "rep", 0, 20, 4)
    assert run(ev, "rep", 10, 20, 9) == []  # pending dropped silently
    run(ev, "rep", 11, 20, 4)
    assert run(ev, "rep", 25, 20, 4) == []  # 14 minutes since the restart
    assert [t.state for t in run(ev, "rep", 26, 20, 4)] == ["firing"]
    (gone,) = ev.evaluate("rep", [], at=as_of(27))  # the account has no record any more
    assert (gone.state, gone.value, gone.sample) == ("resolved", None, None)
    with pytest.raises(ValueError):
        ev.evaluate("rep", [])


def test_baseline_rule() -> None:
    config = CONFIG.with_sustain("0s")
    ev = AlertEvaluator(config)
    # 96 h: 20 sent, 7 accepted (35 %, over 30 %); baseline (20+80 sent, 7+53 accepted) = 60 %,
    # floor 48 %: fires. The cohort 40 days back is outside the 28 days.
    (fired,) = run(ev, "rep", 0, 20, 7, older=(80, 53), outside=(100, 0))
    assert (fired.rule, fired.value, fired.sample) == (BASE, 0.35, 20)
    assert fired.threshold == pytest.approx(0.6 * 0.8)
    # 96 h rate back over the floor: 60 % against 80 % of (65 / 100)
    assert [t.state for t in run(ev, "rep", 1, 20, 12, older=(80, 53))] == ["resolved"]


def test_baseline_needs_its_own_min_sample() -> None:
    at = as_of(0)
    base = cohort("rep", at, "rolling_96h", 20, 2)  # 10 %: under any floor below

    def below(*days: tuple[int, int, int]) -> bool:
        records = base + [r for back, s, a in days for r in cohort("rep", at, day(at, back), s, a)]
        return next(c for c in check_rules(CONFIG, "rep", records) if c.rule == BASE).holds

    assert below((1, 20, 18))  # 90 % over 20 sent: floor 72 %
    assert not below((1, 19, 18))  # 19 sent in the 28 days: too few
    assert not below((28, 20, 18))  # 28 days back: outside the window, no baseline
    assert below((27, 20, 18))  # 27 days back: the window's first day


def test_state_export_load_and_forget() -> None:
    ev = AlertEvaluator(CONFIG)
    run(ev, "rep", 0, 20, 4)
    run(ev, "rep", 15, 20, 4)
    state = ev.export_state("rep")
    assert state == {LOW: {"active_since_us": state[LOW]["active_since_us"], "firing": True}}
    json.dumps(state)
    other = AlertEvaluator(CONFIG)
    other.load_state("rep", state)
    assert other.firing() == {("rep", LOW)}
    assert [t.state for t in run(other, "rep", 16, 20, 10)] == ["resolved"]
    ev.forget("rep")
    assert ev.firing() == set()


def test_transition_json_round_trip() -> None:
    ev = AlertEvaluator(CONFIG.with_sustain("0s"))
    (fired,) = run(ev, "rep-7", 0, 40, 4)
    data = json.loads(fired.to_json())
    assert data == {
        "version": 1,
        "account_id": "rep-7",
        "rule": LOW,
        "state": "firing",
        "at": as_of(0),
        "active_since": as_of(0),
        "value": 0.1,
        "threshold": 0.3,
        "sample": 40,
        "severity": "warning",
    }
    assert AlertTransition.from_json(fired.to_json()) == fired
    assert fired.key == f"rep-7:{LOW}"


def test_default_config_is_the_committed_file(alerting_config: AlertingConfig) -> None:
    assert AlertEvaluator().config == alerting_config
