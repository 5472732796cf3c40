"""Threshold lines of the dashboards: the alert defaults of ``deploy/alerting.yaml`` (one
source with the Prometheus rules and the worker's evaluator), plus the spec's SSI line.

Only the defaults are drawn: per-account overrides live in the alert rules, and a line per
account would clutter a multi-account panel. After editing the file, regenerate the
dashboards (``python -m grafana_dashboards``); the drift test says so otherwise.
"""

from __future__ import annotations

from alerting.config import DEFAULT_CONFIG_PATH, Thresholds, load_config

SSI_GOOD = 60.0  # spec: an SSI of 60+ is considered good


def alert_defaults() -> Thresholds:
    """The default thresholds of the committed config (never $SOCIALKPI_ALERTING_CONFIG: the
    generated JSON must not depend on the caller's environment)."""
    return load_config(DEFAULT_CONFIG_PATH).thresholds
