"""deploy/alertmanager/alertmanager.yml: ``amtool check-config``, ``amtool config routes test``
for every alert of the catalog, the worker-down inhibition and no inline secret."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml
from alert_servers import ALERTMANAGER_CONFIG

from alerting.catalog import ALERTS, KPI, AlertSpec

SECRET_KEYS = {"auth_password", "smtp_auth_password", "auth_secret", "credentials", "password"}


def amtool_run(amtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([amtool, *args], capture_output=True, text=True, timeout=60)


def routes_test(
    amtool: str, receiver: str, labels: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    pairs = [f"{k}={v}" for k, v in labels.items()]
    return amtool_run(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={receiver}",
        *pairs,
    )


def test_check_config(amtool: str) -> None:
    done = amtool_run(amtool, "check-config", str(ALERTMANAGER_CONFIG))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def expected_receiver(spec: AlertSpec, account: str) -> str:
    if spec.category != KPI:
        return "ops-critical" if spec.severity == "critical" else "ops"
    if spec.name == "AdClickThroughRateLow" or account == "company-page":
        return "marketing"
    return "reps"


CASES = [
    (spec, account)
    for spec in ALERTS
    for account in (["rep-01", "company-page"] if spec.category == KPI else [""])
]


@pytest.mark.parametrize(("spec", "account"), CASES, ids=[f"{s.name}-{a}" for s, a in CASES])
def test_routes(amtool: str, spec: AlertSpec, account: str) -> None:
    labels = {"alertname": spec.name, "severity": spec.severity, "category": spec.category}
    labels |= {"account_id": account} if account else {"job": "socialkpi", "instance": "w:9464"}
    receiver = expected_receiver(spec, account)
    done = routes_test(amtool, receiver, labels)
    assert done.returncode == 0, f"{labels} -> {done.stdout.strip()} (expected {receiver})"


def test_routes_test_detects_a_wrong_receiver(amtool: str) -> None:
    assert routes_test(amtool, "marketing", {"alertname": "Unknown"}).returncode != 0
    assert routes_test(amtool, "ops", {"alertname": "Unknown"}).returncode == 0  # default


def _walk(node: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append((key, value))
            out += _walk(value)
    elif isinstance(node, list):
        for item in node:
            out += _walk(item)
    return out


def test_inhibitions_and_no_inline_secret() -> None:
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    inhibit = config["inhibit_rules"][0]
    assert inhibit["source_matchers"] == ['category="worker"', 'severity="critical"']
    assert inhibit["target_matchers"] == ['category="kpi"']
    assert {s.name for s in ALERTS if s.category != KPI and s.severity == "critical"} == {
        "SocialkpiTargetDown",
        "SocialkpiNoEventsProcessed",
        "SocialkpiEvaluationStalled",
    }
    keys = {key for key, _ in _walk(config)}
    assert not keys & SECRET_KEYS
    assert {"smtp_auth_password_file", "credentials_file"} <= keys
    assert any(key == "email_configs" for key, _ in _walk(config))
    assert any(key == "webhook_configs" for key, _ in _walk(config))
