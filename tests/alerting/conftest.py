"""Fixtures of the alerting tests: the committed config and rules, amtool, and real
Prometheus / Alertmanager servers on loopback (`alert_servers`).

Binaries come from Debian (``prometheus``, ``prometheus-alertmanager``), installed by
``bash scripts/services.sh up``. A missing one skips the test, except under ``CI=true``
where it fails (``promtool`` itself is a fixture of ``tests/conftest.py``).

For an end-to-end test (put it in this directory so these fixtures apply):

    def test_e2e(webhook_receiver, alertmanager_server, prometheus_factory, fast_alerting_config):
        prom = prometheus_factory([worker_target], fast_alerting_config, alertmanager_server)
        alert = webhook_receiver.wait_for("InvitationAcceptanceRateLow", account_id="rep-1")
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from alert_servers import (
    ManagedProcess,
    MetricsServer,
    PrometheusFactory,
    PrometheusServer,
    WebhookReceiver,
    start_alertmanager,
    start_prometheus,
    write_rules,
)

from alerting.catalog import ALERTS, WORKER
from alerting.config import AlertingConfig, load_config
from alerting.rules import DEFAULT_RULES_PATH
from tests.support import unavailable


def _binary(*names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    unavailable(f"{names[0]} not found; install it with: bash scripts/services.sh up")


@pytest.fixture(scope="session")
def amtool() -> str:
    return _binary("amtool")


@pytest.fixture(scope="session")
def prometheus_bin() -> str:
    return _binary("prometheus")


@pytest.fixture(scope="session")
def alertmanager_bin() -> str:
    return _binary("prometheus-alertmanager", "alertmanager")


@pytest.fixture(scope="session")
def alerting_config() -> AlertingConfig:
    """The committed deploy/alerting.yaml."""
    return load_config()


@pytest.fixture(scope="session")
def rules_file() -> Path:
    """The committed, generated rules file."""
    return DEFAULT_RULES_PATH


WORKER_ALERTS = [spec.name for spec in ALERTS if spec.category == WORKER]


@pytest.fixture
def fast_alerting_config(alerting_config: AlertingConfig) -> AlertingConfig:
    """The committed config (thresholds, overrides) with 1 s rule evaluation, ``for: 0s`` on
    the KPI alerts and ``for: 30s`` on the worker alerts (a worker still starting, with lag
    and no event counted yet, must not fire a critical alert that inhibits the KPI alerts).
    Change it with e.g. ``.with_sustain(InvitationAcceptanceRateLow="2s")``."""
    fast = alerting_config.model_copy(update={"evaluation_interval": "1s"})
    return fast.with_sustain("0s", **dict.fromkeys(WORKER_ALERTS, "30s"))


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """Records Alertmanager's webhook posts: ``.url``, ``.alerts(...)``, ``.wait_for(...)``."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def metrics_server() -> Iterator[MetricsServer]:
    """A static scrape target: ``.target`` (host:port), ``.set_text(exposition)``."""
    server = MetricsServer()
    yield server
    server.close()


@pytest.fixture
def alertmanager_server(
    alertmanager_bin: str, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> Iterator[ManagedProcess]:
    """A real Alertmanager with the project's routes and inhibitions, every receiver posting
    to `webhook_receiver`, 1 s group wait/interval."""
    server = start_alertmanager(alertmanager_bin, tmp_path / "alertmanager", webhook_receiver.url)
    yield server
    server.stop()


@pytest.fixture
def prometheus_factory(prometheus_bin: str, tmp_path: Path) -> Iterator[PrometheusFactory]:
    """``start(targets, config, alertmanager=None, interval="1s")``: a real Prometheus
    scraping `targets` as job ``config.worker.job`` with the rules generated from `config`
    (give it ``evaluation_interval="1s"`` and short ``for:``, e.g. `fast_alerting_config`),
    alerting `alertmanager` (a `ManagedProcess`). Every server started is stopped."""
    started: list[PrometheusServer] = []

    def start(
        targets: Sequence[str],
        config: AlertingConfig,
        alertmanager: ManagedProcess | None = None,
        interval: str = "1s",
    ) -> PrometheusServer:
        workdir = tmp_path / f"prometheus-{len(started)}"
        rules = write_rules(config, workdir / "rules" / "socialkpi.rules.yml")
        server = start_prometheus(
            prometheus_bin,
            workdir,
            targets,
            [rules],
            alertmanager_url=alertmanager.url if alertmanager else None,
            job=config.worker.job,
            interval=interval,
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
