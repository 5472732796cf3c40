"""The worker's evaluator and the generated Prometheus rules agree on the same inputs.

A scenario is a sequence of evaluations (one a minute) of a few accounts' records. The
evaluator sees the records; Prometheus (``promtool test rules``) sees the gauges the real
exporter (`KpiCollector`) renders from the same records, with the rules generated from the
same config. At every minute, promtool must find exactly the alerts the evaluator has firing,
with the evaluator's numbers in the annotations.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from alert_records import account_records, as_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_testing import SCRAPE, alert, check, run_promtool_tests, series

from alerting.config import AlertingConfig, ThresholdOverrides, Thresholds
from alerting.evaluator import RULES, AlertEvaluator, check_rules
from alerting.rules import render_rules
from models.records import KpiRecord
from sinks.prometheus.collector import KpiCollector

LOW, BASE = RULES
CONFIG = AlertingConfig(
    evaluation_interval="1m",
    thresholds=Thresholds(acceptance_rate_min=0.3, acceptance_min_cohort_sent=10),
    overrides={
        "rep-b": ThresholdOverrides(
            acceptance_rate_min=0.2, acceptance_min_cohort_sent=5, baseline_fraction=0.9
        )
    },
).with_sustain("0s", **{LOW: "3m", BASE: "2m"})
ACCOUNTS = ("rep-a", "rep-b")

# Per account and minute: None (no record at all) or (sent, accepted, older_sent, older_acc).
State = tuple[int, int, int, int] | None
Scenario = list[dict[str, State]]


def records_of(account: str, step: int, state: State) -> list[KpiRecord]:
    if state is None:
        return []
    sent, accepted, older_sent, older_accepted = state
    return account_records(account, as_of(step), sent, accepted, (older_sent, older_accepted))


def promtool_test(scenario: Scenario) -> dict[str, Any]:
    """The evaluator's firing alerts per minute, and the exporter's gauges as input."""
    evaluator = AlertEvaluator(CONFIG)
    points: dict[tuple[str, tuple[tuple[str, str], ...]], list[float | None]] = {}
    checks: list[dict[str, Any]] = []
    steps = len(scenario)
    for step, states in enumerate(scenario):
        collector = KpiCollector()
        expected: dict[str, list[dict[str, Any]]] = {LOW: [], BASE: []}
        for account in ACCOUNTS:
            records = records_of(account, step, states.get(account))
            evaluator.evaluate(account, records, at=as_of(step))
            if records:
                collector.stage(account, records)
            numbers = {c.rule: c for c in check_rules(CONFIG, account, records)}
            for rule in RULES:
                if (account, rule) in evaluator.firing():
                    c = numbers[rule]
                    assert c.value is not None and c.threshold is not None
                    labels = {"account_id": account, "period": "rolling_96h", **SCRAPE}
                    expected[rule].append(
                        alert(CONFIG, rule, labels, c.value, c.threshold, c.sample)
                    )
        collector.commit()
        for family in collector.collect():
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                points.setdefault(key, [None] * steps)[step] = sample.value
        checks += [check(f"{step}m", rule, *expected[rule]) for rule in RULES]
    return {
        "input_series": [
            series(name, values, **dict(labels)) for (name, labels), values in points.items()
        ],
        "alert_rule_test": checks,
    }


def agree(scenario: Scenario, promtool: str, workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    rules = workdir / "rules.yml"
    rules.write_text(render_rules(CONFIG), encoding="utf-8")
    run_promtool_tests(promtool, rules, [promtool_test(scenario)], workdir)


def expand(segments: Sequence[tuple[int, dict[str, State]]]) -> Scenario:
    return [dict(states) for length, states in segments for _ in range(length)]


TABLE: dict[str, Scenario] = {
    # rep-a: low (20 %) for 5 minutes, fires at minute 3, recovers, low again, cohort gone.
    # rep-b: 25 % is fine under its 20 % override, then 10 % of 5 (its min sample) fires.
    "low_fires_resolves_refires": expand(
        [
            (5, {"rep-a": (10, 2, 0, 0), "rep-b": (8, 2, 0, 0)}),
            (2, {"rep-a": (10, 5, 0, 0), "rep-b": (10, 1, 0, 0)}),
            (4, {"rep-a": (12, 1, 0, 0), "rep-b": (10, 1, 0, 0)}),
            (2, {"rep-a": None, "rep-b": (4, 0, 0, 0)}),
        ]
    ),
    # Baseline: rep-a 40 % against 0.8 x 60 % = 48 %; rep-b 45 % against 0.9 x 60 %; then the
    # 96 h cohorts shrink under the minimum sample and everything resolves.
    "baseline": expand(
        [
            (4, {"rep-a": (10, 4, 90, 56), "rep-b": (20, 9, 80, 51)}),
            (1, {"rep-a": (10, 6, 90, 56), "rep-b": (20, 9, 80, 51)}),
            (3, {"rep-a": (10, 4, 90, 56), "rep-b": (4, 1, 80, 51)}),
        ]
    ),
}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_evaluator_and_rules_agree_on_table(name: str, promtool: str, tmp_path: Path) -> None:
    scenario = TABLE[name]
    evaluator = AlertEvaluator(CONFIG)
    fired = set()
    for step, states in enumerate(scenario):
        for account in ACCOUNTS:
            records = records_of(account, step, states.get(account))
            fired |= {
                (t.account_id, t.rule) for t in evaluator.evaluate(account, records, at=as_of(step))
            }
    assert fired  # the table exercises firing, not only silence
    agree(scenario, promtool, tmp_path)


def _state() -> st.SearchStrategy[State]:
    def build(sent: int, rate: float, older_sent: int, older_rate: float) -> State:
        return (sent, round(sent * rate), older_sent, round(older_sent * older_rate))

    present = st.builds(
        build,
        st.integers(0, 25),
        st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.8]),
        st.integers(0, 60),
        st.sampled_from([0.3, 0.5, 0.7]),
    )
    return st.one_of(st.none(), present, present, present)


SEGMENTS = st.lists(
    st.tuples(st.integers(1, 5), st.fixed_dictionaries({a: _state() for a in ACCOUNTS})),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(segments=SEGMENTS)
def test_evaluator_and_rules_agree_on_generated_scenarios(
    segments: list[tuple[int, dict[str, State]]], promtool: str, tmp_path: Path
) -> None:
    scenario = expand(segments)
    agree(scenario, promtool, tmp_path / f"s{abs(hash(str(segments)))}")
