"""Every dashboard query parses (promtool) and names only metrics and labels the worker's
exporter exports (derived from sinks/prometheus/ by running it, not from a copied list)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from grafana_dashboards.exported import exported_label_names, exported_metric_names
from grafana_dashboards.queries import (
    VARIABLES,
    dashboard_queries,
    label_names,
    metric_names,
    raw_queries,
    substitute,
    variables,
)

RAW = raw_queries()
# Regex metacharacters, a quote and a backslash: what Grafana's escaping must survive.
NASTY_ACCOUNT = 'rep.01+(eu) "x"\\y'


def promtool_check_exprs(promtool: str, exprs: list[str], tmp_path: Path) -> None:
    """Parse every expression with Prometheus' own parser: one recording rule each."""
    rules = [{"record": f"dashboard:query_{i}", "expr": expr} for i, expr in enumerate(exprs)]
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", "--lint=none", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in result.stdout


def test_there_are_queries_on_every_dashboard() -> None:
    assert {q.dashboard for q in RAW} == {
        "socialkpi-network",
        "socialkpi-content",
        "socialkpi-messages",
        "socialkpi-ads",
        "socialkpi-worker",
    }
    assert len(RAW) > 100


@pytest.mark.parametrize("account", [None, "rep-01", NASTY_ACCOUNT])
def test_every_query_parses_with_promtool(
    promtool: str, tmp_path: Path, account: str | None
) -> None:
    exprs = [q.expr for q in dashboard_queries(account, rate_interval="1m", interval="15s")]
    assert not [e for e in exprs if "$" in e]
    promtool_check_exprs(promtool, exprs, tmp_path)


def test_promtool_rejects_a_broken_query(promtool: str, tmp_path: Path) -> None:
    """The parse check is real: a broken expression fails it."""
    with pytest.raises(AssertionError):
        promtool_check_exprs(promtool, ["sum by (account_id (linkedin_leads)"], tmp_path)


def test_queries_use_only_known_grafana_variables() -> None:
    for q in RAW:
        assert variables(q.expr) <= VARIABLES, (q.dashboard, q.panel, q.expr)


def test_every_metric_is_exported_by_the_worker() -> None:
    exported = exported_metric_names()
    used: set[str] = set()
    for q in RAW:
        names = metric_names(q.expr)
        assert names, f"{q.dashboard} / {q.panel}: no metric found in {q.expr!r}"
        missing = names - exported
        assert not missing, f"{q.dashboard} / {q.panel}: not exported: {sorted(missing)}"
        used |= names
    # The families the spec asks for all appear somewhere.
    for needed in (
        "linkedin_invitation_acceptance_ratio",
        "linkedin_ssi_score",
        "linkedin_post_views",
        "linkedin_reply_ratio",
        "linkedin_ad_click_through_ratio",
        "linkedin_ad_card_click_through_ratio",
        "socialkpi_events_processed_total",
        "socialkpi_dead_letters_total",
        "socialkpi_consumer_lag",
        "socialkpi_evaluation_duration_seconds_bucket",
    ):
        assert needed in used


def test_every_label_is_exported_by_the_worker() -> None:
    exported = exported_label_names()
    for q in RAW:
        missing = label_names(q.expr) - exported
        assert not missing, f"{q.dashboard} / {q.panel}: unknown labels {sorted(missing)}"


def test_kpi_selectors_filter_on_the_account_variable() -> None:
    for q in RAW:
        if any(name.startswith("linkedin_") for name in metric_names(q.expr)):
            assert q.expr.count("linkedin_") == q.expr.count('account_id=~"$account_id"'), q.expr


def test_the_exported_set_is_derived_from_the_exporter() -> None:
    exported = exported_metric_names()
    # derived names (record dims, baseline, snapshot, counters' exposition suffix)
    assert "linkedin_time_to_first_reply_p90_seconds" in exported
    assert "linkedin_time_to_first_reply_seconds" not in exported
    assert "linkedin_invitation_acceptance_baseline_ratio" in exported
    assert "socialkpi_snapshot_as_of_timestamp_seconds" in exported
    assert "socialkpi_events_processed_total" in exported
    assert "socialkpi_events_processed" not in exported
    assert "linkedin_ad_cost_per_send" in exported  # not in the sample: synthetic record
    assert "linkedin_post_hourly_views" not in exported  # curves stay in Redis
    assert {"account_id", "period", "post_id", "campaign_id", "reason", "topic", "le"} <= (
        exported_label_names()
    )


# --------------------------------------------------------------------------- the helpers


def test_substitute_escapes_the_account_like_grafana() -> None:
    expr = 'linkedin_leads{account_id=~"$account_id", period="week"}[$__rate_interval] $__interval'
    assert substitute(expr, "rep.01") == (
        'linkedin_leads{account_id=~"rep\\\\.01", period="week"}[1m] 15s'
    )
    assert substitute(expr, None, "2m", "30s") == (
        'linkedin_leads{account_id=~".+", period="week"}[2m] 30s'
    )
    assert substitute('x{a=~"${account_id}"}', 'q"b') == 'x{a=~"q\\"b"}'
    with pytest.raises(ValueError, match="unknown Grafana variable"):
        substitute("rate(x[$__range])")


def test_dashboard_queries_keep_order_and_metadata() -> None:
    substituted = dashboard_queries("rep-01")
    assert [(q.dashboard, q.panel, q.ref_id) for q in substituted] == [
        (q.dashboard, q.panel, q.ref_id) for q in RAW
    ]
    first = substituted[0]
    assert first.dashboard == "socialkpi-network"
    assert first.panel == "Acceptance rate, 96 h cohort"
    assert 'account_id=~"rep-01"' in first.expr
    assert first.unit == "percentunit"


def test_metric_and_label_scanner() -> None:
    expr = (
        'histogram_quantile(0.9, sum by (le) (rate(a_bucket{job="x", le!="+Inf"}[5m] offset 1h)))'
        " / on (instance) group_left (topic) b:recorded_total * 1e3 > bool 2"
        ' and c unless time() - d{e=~"f(g)"} or sum without (p) (q) + label_replace(r, "s", "$1",'
        ' "t", "(.*)")'
    )
    assert metric_names(expr) == {"a_bucket", "b:recorded_total", "c", "d", "q", "r"}
    assert label_names(expr) == {"le", "job", "instance", "topic", "e", "p"}
