"""The server fixtures work: a real Prometheus scrapes a static target, evaluates the generated
rules, and a real Alertmanager routes the alert to the webhook receiver (then the resolution).
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from alert_servers import ManagedProcess, MetricsServer, PrometheusFactory, WebhookReceiver

from alerting.config import AlertingConfig

LOW = "InvitationAcceptanceRateLow"


def exposition(rates: dict[str, float], sent: int = 30) -> str:
    lines = []
    for account, rate in rates.items():
        labels = f'account_id="{account}",period="rolling_96h"'
        lines += [
            f'socialkpi_snapshot_as_of_timestamp_seconds{{account_id="{account}"}} 1.7e9',
            f"linkedin_invitation_acceptance_ratio{{{labels}}} {rate}",
            f"linkedin_invitation_cohort_sent{{{labels}}} {sent}",
        ]
    return "\n".join(lines) + "\n"


def test_prometheus_alertmanager_webhook(
    metrics_server: MetricsServer,
    webhook_receiver: WebhookReceiver,
    alertmanager_server: ManagedProcess,
    prometheus_factory: PrometheusFactory,
    fast_alerting_config: AlertingConfig,
) -> None:
    metrics_server.set_text(exposition({"rep-low": 0.10, "rep-ok": 0.50}))
    config = fast_alerting_config.with_sustain(**{LOW: "2s"})
    started = time.time()
    prometheus = prometheus_factory([metrics_server.target], config, alertmanager_server)

    alert = webhook_receiver.wait_for(LOW, account_id="rep-low", timeout=60)
    assert alert["receiver"] == "reps"  # the project's route for KPI alerts of a rep
    assert alert["labels"]["severity"] == "warning"
    assert alert["labels"]["job"] == config.worker.job
    assert alert["annotations"]["summary"] == (
        "rep-low: invitation acceptance rate 10% is under 30%"
    )
    assert alert["annotations"]["runbook_url"].endswith("#invitationacceptanceratelow")
    assert alert["_received_at"] - started >= 2  # for: 2s held
    assert prometheus.query('socialkpi:acceptance_rate_min{account_id="rep-ok"}')
    assert not webhook_receiver.alerts(LOW, account_id="rep-ok")

    metrics_server.set_text(exposition({"rep-low": 0.45, "rep-ok": 0.50}))
    resolved = webhook_receiver.wait_for(LOW, status="resolved", account_id="rep-low", timeout=60)
    assert resolved["endsAt"] >= alert["startsAt"]
    assert not webhook_receiver.alerts(LOW, account_id="rep-ok")


def post_alerts(alertmanager: ManagedProcess, alerts: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        f"{alertmanager.url}/api/v2/alerts",
        data=json.dumps(alerts).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_worker_down_inhibits_kpi_alerts_of_its_job(
    webhook_receiver: WebhookReceiver, alertmanager_server: ManagedProcess
) -> None:
    def labels(name: str, severity: str, category: str, **extra: str) -> dict[str, Any]:
        return {"labels": {"alertname": name, "severity": severity, "category": category, **extra}}

    post_alerts(
        alertmanager_server,
        [
            labels("SocialkpiTargetDown", "critical", "worker", job="socialkpi", instance="w:1"),
            labels(LOW, "warning", "kpi", job="socialkpi", account_id="rep-1"),
            labels(LOW, "warning", "kpi", job="other-deployment", account_id="rep-2"),
        ],
    )
    down = webhook_receiver.wait_for("SocialkpiTargetDown", timeout=30)
    assert down["receiver"] == "ops-critical"
    assert webhook_receiver.wait_for(LOW, account_id="rep-2", timeout=30)["receiver"] == "reps"
    time.sleep(3)  # rep-1's group (same 1 s timings) would have been sent by now
    assert not webhook_receiver.alerts(LOW, account_id="rep-1")
