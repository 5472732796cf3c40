"""``promtool test rules`` on the committed rules: every alert firing and not firing, with the
minimum-sample, threshold and ``for:`` edges, the per-account overrides and the baseline.

Cases read their numbers from the committed deploy/alerting.yaml (a threshold change keeps
them meaningful); evaluation every minute, one sample per minute.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rule_testing import SCRAPE, alert, check, const, run_promtool_tests, series

from alerting.config import AlertingConfig, duration_seconds

Case = Callable[[AlertingConfig], dict[str, Any]]
CASES: dict[str, Case] = {}
STEPS = 150
R96, D7 = "rolling_96h", "rolling_7d"
OVERRIDDEN = "company-page"  # overridden in the committed config


def case(fn: Case) -> Case:
    CASES[fn.__name__] = fn
    return fn


def minutes(config: AlertingConfig, alert_name: str) -> int:
    return int(config.sustain_seconds(alert_name) // 60)


def universe(*accounts: str) -> list[dict[str, str]]:
    return [
        const("socialkpi_snapshot_as_of_timestamp_seconds", 1.7e9, STEPS, account_id=a)
        for a in accounts
    ]


def acceptance(account: str, rate: float, sent: int) -> list[dict[str, str]]:
    return [
        const("linkedin_invitation_acceptance_ratio", rate, STEPS, account_id=account, period=R96),
        const("linkedin_invitation_cohort_sent", sent, STEPS, account_id=account, period=R96),
    ]


def kpi_labels(account: str, period: str, **extra: str) -> dict[str, str]:
    return {"account_id": account, "period": period, **SCRAPE, **extra}


# --------------------------------------------------------------------------- acceptance


LOW = "InvitationAcceptanceRateLow"


@case
def acceptance_low_fires_after_for_with_min_sample(config: AlertingConfig) -> dict[str, Any]:
    t = config.thresholds
    low, n = round(t.acceptance_rate_min - 0.05, 4), t.acceptance_min_cohort_sent
    f = minutes(config, LOW)
    labels = kpi_labels("rep-1", R96)
    fired = alert(config, LOW, labels, low, t.acceptance_rate_min, n)
    return {
        "input_series": universe("rep-1", "rep-2", "rep-3")
        + acceptance("rep-1", low, n)  # exactly the minimum sample: fires
        + acceptance("rep-2", low, n - 1)  # one short of it: never
        + acceptance("rep-3", t.acceptance_rate_min, 5 * n),  # at the threshold: not under
        "alert_rule_test": [
            check(f"{f - 1}m", LOW),  # pending only
            check(f"{f}m", LOW, fired),
            check(f"{f + 60}m", LOW, fired),
        ],
    }


@case
def acceptance_low_for_restarts_after_a_break(config: AlertingConfig) -> dict[str, Any]:
    t = config.thresholds
    low, n = t.acceptance_rate_min / 2, t.acceptance_min_cohort_sent
    f = minutes(config, LOW)
    ok_at = f - 2  # holds from 0 to f-3, recovers at f-2, holds again from f-1
    rates = [low] * STEPS
    rates[ok_at] = t.acceptance_rate_min + 0.1
    fired = alert(config, LOW, kpi_labels("rep-1", R96), low, t.acceptance_rate_min, n)
    return {
        "input_series": [
            *universe("rep-1"),
            series("linkedin_invitation_acceptance_ratio", rates, account_id="rep-1", period=R96),
            const("linkedin_invitation_cohort_sent", n, STEPS, account_id="rep-1", period=R96),
        ],
        "alert_rule_test": [
            check(f"{f}m", LOW),
            check(f"{ok_at + f}m", LOW),
            check(f"{ok_at + 1 + f}m", LOW, fired),
        ],
    }


@case
def acceptance_low_resolves_when_the_cohort_empties(config: AlertingConfig) -> dict[str, Any]:
    t = config.thresholds
    low, n = t.acceptance_rate_min / 2, t.acceptance_min_cohort_sent
    f = minutes(config, LOW)
    gone = f + 5
    present: list[float | None] = [low] * gone + [None] * (STEPS - gone)
    sent: list[float | None] = [n] * gone + [None] * (STEPS - gone)
    fired = alert(config, LOW, kpi_labels("rep-1", R96), low, t.acceptance_rate_min, n)
    return {
        "input_series": [
            *universe("rep-1"),
            series("linkedin_invitation_acceptance_ratio", present, account_id="rep-1", period=R96),
            series("linkedin_invitation_cohort_sent", sent, account_id="rep-1", period=R96),
        ],
        "alert_rule_test": [check(f"{gone - 1}m", LOW, fired), check(f"{gone}m", LOW)],
    }


@case
def acceptance_low_override(config: AlertingConfig) -> dict[str, Any]:
    override, default = config.thresholds_for(OVERRIDDEN), config.thresholds
    assert override.acceptance_rate_min < default.acceptance_rate_min
    between = (override.acceptance_rate_min + default.acceptance_rate_min) / 2
    n = max(override.acceptance_min_cohort_sent, default.acceptance_min_cohort_sent)
    f = minutes(config, LOW)
    labels = kpi_labels("rep-1", R96)
    fired = alert(config, LOW, labels, between, default.acceptance_rate_min, n)
    return {
        "input_series": universe(OVERRIDDEN, "rep-1")
        + acceptance(OVERRIDDEN, between, n)  # under the default, over its override: quiet
        + acceptance("rep-1", between, n),
        "alert_rule_test": [check(f"{f + 5}m", LOW, fired)],
    }


@case
def acceptance_override_fires_under_its_own_threshold(config: AlertingConfig) -> dict[str, Any]:
    override = config.thresholds_for(OVERRIDDEN)
    under, n = override.acceptance_rate_min / 2, override.acceptance_min_cohort_sent
    f = minutes(config, LOW)
    labels = kpi_labels(OVERRIDDEN, R96)
    fired = alert(config, LOW, labels, under, override.acceptance_rate_min, n)
    return {
        "input_series": universe(OVERRIDDEN) + acceptance(OVERRIDDEN, under, n),
        "alert_rule_test": [check(f"{f - 1}m", LOW), check(f"{f}m", LOW, fired)],
    }


# --------------------------------------------------------------------------- baseline

BASE = "InvitationAcceptanceRateBelowBaseline"


@case
def below_baseline(config: AlertingConfig) -> dict[str, Any]:
    t = config.thresholds
    n = t.acceptance_min_cohort_sent
    baseline = 0.6
    floor = baseline * t.baseline_fraction
    assert floor > t.acceptance_rate_min + 0.02  # the absolute rule stays quiet
    under, over = floor - 0.01, floor + 0.01
    f = minutes(config, BASE)

    def account(name: str, rate: float, sent: int, base_sent: int) -> list[dict[str, str]]:
        return [
            *acceptance(name, rate, sent),
            const(
                "linkedin_invitation_acceptance_baseline_ratio", baseline, STEPS, account_id=name
            ),
            const("linkedin_invitation_baseline_cohort_sent", base_sent, STEPS, account_id=name),
        ]

    fired = alert(config, BASE, kpi_labels("rep-1", R96), under, floor, n)
    return {
        "input_series": universe("rep-1", "rep-2", "rep-3", "rep-4")
        + account("rep-1", under, n, 10 * n)  # fires
        + account("rep-2", over, n, 10 * n)  # above the floor
        + account("rep-3", under, n - 1, 10 * n)  # 96 h cohort too small
        + account("rep-4", under, n, n - 1),  # baseline cohorts too small
        "alert_rule_test": [
            check(f"{f - 1}m", BASE),
            check(f"{f}m", BASE, fired),
            check(f"{f}m", LOW),
        ],
    }


# --------------------------------------------------------------------------- other KPIs


@case
def reply_rate_low(config: AlertingConfig) -> dict[str, Any]:
    name, t = "ReplyRateLow", config.thresholds
    n, low = t.reply_min_started, t.reply_rate_min / 2
    f = minutes(config, name)

    def reply(account: str, rate: float, started: int) -> list[dict[str, str]]:
        return [
            const("linkedin_reply_ratio", rate, STEPS, account_id=account, period=D7),
            const("linkedin_reply_cohort_started", started, STEPS, account_id=account, period=D7),
        ]

    fired = alert(config, name, kpi_labels("rep-1", D7), low, t.reply_rate_min, n)
    return {
        "input_series": universe("rep-1", "rep-2", "rep-3")
        + reply("rep-1", low, n)
        + reply("rep-2", low, n - 1)
        + reply("rep-3", t.reply_rate_min, n),
        "alert_rule_test": [check(f"{f - 1}m", name), check(f"{f}m", name, fired)],
    }


@case
def stale_pending_pile_up(config: AlertingConfig) -> dict[str, Any]:
    name, cap = "StalePendingInvitationsHigh", config.thresholds.stale_pending_max
    f = minutes(config, name)
    metric = "linkedin_stale_pending_invitations"
    fired = alert(config, name, kpi_labels("rep-1", "total"), cap + 1, cap)
    return {
        "input_series": [
            *universe("rep-1", "rep-2"),
            const(metric, cap + 1, STEPS, account_id="rep-1", period="total"),
            const(metric, cap, STEPS, account_id="rep-2", period="total"),
        ],
        "alert_rule_test": [check(f"{f - 1}m", name), check(f"{f}m", name, fired)],
    }


@case
def weekly_invitations_above_cap(config: AlertingConfig) -> dict[str, Any]:
    name, cap = "WeeklyInvitationsAboveCap", config.thresholds.weekly_invitations_max
    page_cap = config.thresholds_for(OVERRIDDEN).weekly_invitations_max
    assert page_cap > cap + 1
    f = minutes(config, name)
    metric = "linkedin_invitations_sent"
    fired = alert(config, name, kpi_labels("rep-1", "week"), cap + 1, cap)
    return {
        "input_series": [
            *universe("rep-1", "rep-2", OVERRIDDEN),
            const(metric, cap + 1, STEPS, account_id="rep-1", period="week"),
            const(metric, cap, STEPS, account_id="rep-2", period="week"),
            const(metric, cap + 1, STEPS, account_id=OVERRIDDEN, period="week"),
            const(metric, 3, STEPS, account_id="rep-1", period="day"),
        ],
        "alert_rule_test": [check(f"{f}m", name, fired)],
    }


@case
def ad_ctr_low(config: AlertingConfig) -> dict[str, Any]:
    name, t = "AdClickThroughRateLow", config.thresholds
    ads = {"campaign_id": "cmp-1", "format": "video", "currency": "EUR"}
    low, n = t.ad_ctr_min / 2, t.ad_min_impressions
    f = minutes(config, name)

    def creative(creative_id: str, ctr: float, impressions: int) -> list[dict[str, str]]:
        labels = {"account_id": "rep-1", "period": "day", "creative_id": creative_id, **ads}
        return [
            const("linkedin_ad_click_through_ratio", ctr, STEPS, **labels),
            const("linkedin_ad_impressions", impressions, STEPS, **labels),
        ]

    labels = kpi_labels("rep-1", "day", creative_id="crv-1", **ads)
    fired = alert(config, name, labels, low, t.ad_ctr_min)
    return {
        "input_series": universe("rep-1")
        + creative("crv-1", low, n)
        + creative("crv-2", low, n - 1)
        + creative("crv-3", t.ad_ctr_min, 10 * n),
        "alert_rule_test": [check(f"{f - 1}m", name), check(f"{f}m", name, fired)],
    }


# --------------------------------------------------------------------------- worker health


def worker(config: AlertingConfig, name: str, **extra: str) -> dict[str, Any]:
    return alert(config, name, {**SCRAPE, **extra})


@case
def target_down(config: AlertingConfig) -> dict[str, Any]:
    name, f = "SocialkpiTargetDown", minutes(config, "SocialkpiTargetDown")
    up = [1.0] * 10 + [0.0] * (STEPS - 10)
    return {
        "input_series": [series("up", up)],
        "alert_rule_test": [
            check("9m", name),
            check(f"{10 + f - 1}m", name),
            check(f"{10 + f}m", name, worker(config, name)),
        ],
    }


@case
def no_events_processed_while_lagging(config: AlertingConfig) -> dict[str, Any]:
    name, f = "SocialkpiNoEventsProcessed", minutes(config, "SocialkpiNoEventsProcessed")
    other = {"job": SCRAPE["job"], "instance": "worker-2:9464"}
    third = {"job": SCRAPE["job"], "instance": "worker-3:9464"}
    counter = "socialkpi_events_processed_total"
    lag = "socialkpi_consumer_lag"
    topic = {"topic": "linkedin.invitations", "partition": "0"}
    busy = [float(i * 60) for i in range(STEPS)]
    return {
        "input_series": [
            const("up", 1, STEPS),
            const("up", 1, STEPS, **other),
            const("up", 1, STEPS, **third),
            const(counter, 500, STEPS, type="invitation.sent"),  # stuck with lag: fires
            const(lag, 40, STEPS, **topic),
            # worker-2 has no counter at all yet, and lag: fires as well
            const(lag, 7, STEPS, **topic, **other),
            # worker-3 works through its lag: quiet
            series(counter, busy, type="invitation.sent", **third),
            const(lag, 40, STEPS, **topic, **third),
        ],
        "alert_rule_test": [
            check(f"{f + 5}m", name, worker(config, name), worker(config, name, **other)),
        ],
    }


@case
def evaluation_stalled(config: AlertingConfig) -> dict[str, Any]:
    name, f = "SocialkpiEvaluationStalled", minutes(config, "SocialkpiEvaluationStalled")
    max_age_min = int(duration_seconds(config.worker.evaluation_max_age) // 60)
    metric = "socialkpi_last_evaluation_timestamp_seconds"
    # Evaluations every minute until minute 10, then nothing: frozen at 600 s.
    values = [float(min(i, 10) * 60) for i in range(STEPS)]
    starts = 10 + max_age_min + 1  # first minute with time() - 600 > max age
    return {
        "input_series": [series(metric, values)],
        "alert_rule_test": [
            check(f"{starts + f - 1}m", name),
            check(f"{starts + f}m", name, worker(config, name)),
        ],
    }


@case
def dead_letters_rising(config: AlertingConfig) -> dict[str, Any]:
    name, f = "SocialkpiDeadLettersRising", minutes(config, "SocialkpiDeadLettersRising")
    assert config.worker.dead_letters_window == "15m" and config.worker.dead_letters_max == 10
    other = {"job": SCRAPE["job"], "instance": "worker-2:9464"}
    metric = "socialkpi_dead_letters_total"
    fast = [float(i) for i in range(STEPS)]  # one a minute: ~15 per 15 min
    slow = [float(i // 5) for i in range(STEPS)]  # one every 5 minutes: ~3
    return {
        "input_series": [
            series(metric, fast, reason="malformed_json"),
            series(metric, slow, reason="malformed_json", **other),
        ],
        "alert_rule_test": [
            check(f"{10 + f}m", name),  # at most 10 by minute 10: not before 11 + for
            check("40m", name, worker(config, name)),
        ],
    }


@case
def consumer_lag_growing(config: AlertingConfig) -> dict[str, Any]:
    name, f = "SocialkpiConsumerLagGrowing", minutes(config, "SocialkpiConsumerLagGrowing")
    lag_min = config.worker.lag_min
    metric = "socialkpi_consumer_lag"
    growing = [float(lag_min + 100 * i) for i in range(STEPS)]
    topic, flat_topic = "linkedin.invitations", "linkedin.messages"
    return {
        "input_series": [
            series(metric, growing, topic=topic, partition="0"),
            const(metric, 5, STEPS, topic=topic, partition="1"),
            const(metric, 5 * lag_min, STEPS, topic=flat_topic, partition="0"),  # big, not growing
        ],
        "alert_rule_test": [
            check(f"{f}m", name),  # holds from minute 1 (over lag_min and grown)
            check(f"{f + 1}m", name, worker(config, name, topic=topic)),
        ],
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_rules_with_promtool(
    name: str, promtool: str, alerting_config: AlertingConfig, rules_file: Path, tmp_path: Path
) -> None:
    run_promtool_tests(promtool, rules_file, [CASES[name](alerting_config)], tmp_path)


def test_every_alert_has_a_firing_case(alerting_config: AlertingConfig) -> None:
    from alerting.catalog import ALERTS

    fired: set[str] = set()
    for build in CASES.values():
        for item in build(alerting_config)["alert_rule_test"]:
            if item["exp_alerts"]:
                fired.add(item["alertname"])
    assert fired == {spec.name for spec in ALERTS}
