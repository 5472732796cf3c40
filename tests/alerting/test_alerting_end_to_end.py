"""End to end: events on the real broker -> the live worker -> /metrics -> a real Prometheus
evaluating the generated rules -> a real Alertmanager -> the webhook receiver.

One account is pushed under 30 % acceptance with a big enough cohort, another stays healthy:
only the first one alerts; acceptances then bring it back and the alert resolves. Beside
them, a generated week of several accounts feeds every dashboard: each Grafana panel query
whose metrics the worker exports returns data from the real Prometheus.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from alert_servers import ManagedProcess, PrometheusFactory, PrometheusServer, WebhookReceiver
from prometheus_client.parser import text_string_to_metric_families

from alerting.config import AlertingConfig
from grafana_dashboards.queries import dashboard_queries, metric_names
from tests.worker.harness import (
    WorkerProcess,
    WorkerSetup,
    produce,
    worker_status,
    worker_topics,
)
from tests.worker.helpers import event_log, invitation

pytestmark = pytest.mark.integration
GENERATED_FROM = datetime(2026, 11, 14, tzinfo=UTC)  # a week ending on the pinned as_of

LOW = "InvitationAcceptanceRateLow"
AS_OF = "2026-11-20T12:00:00Z"


@pytest.fixture
async def setup(
    kafka_bootstrap: str, redis_url: str, redis_prefix: str, unique_name: str, tmp_path: Path
) -> AsyncIterator[WorkerSetup]:
    async with worker_topics(
        kafka_bootstrap,
        redis_url,
        redis_prefix,
        unique_name,
        tmp_path / "worker",
        partitions=2,
        as_of=AS_OF,
    ) as run:
        yield run


async def metrics_target(
    redis_client: aioredis.Redis, setup: WorkerSetup, worker: WorkerProcess
) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        statuses = await worker_status(redis_client, setup.redis_prefix)
        if statuses and statuses[0].get("metrics_port"):
            return f"127.0.0.1:{statuses[0]['metrics_port']}"
        assert worker.alive(), worker.tail()
        await asyncio.sleep(0.3)
    raise AssertionError(f"the worker published no status:\n{worker.tail()}")


async def scrape_names(target: str) -> set[str]:
    def get() -> str:
        with urllib.request.urlopen(f"http://{target}/metrics", timeout=10) as response:
            return str(response.read().decode())

    text = await asyncio.to_thread(get)
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def check_dashboard_queries(prometheus: PrometheusServer, exported: set[str]) -> None:
    """Every panel query (all accounts selected) whose metrics the worker exported right now
    returns data; the others (no such events in the feed: dead letters, churn, ...) are listed."""
    checked, empty, unfed = [], [], []
    for query in dashboard_queries(None, rate_interval="30s", interval="5s"):
        names = {n for n in metric_names(query.expr) if not n.startswith("socialkpi:")}
        if not names <= exported:
            unfed.append(query.panel)
            continue
        checked.append(query.panel)
        if not prometheus.query(query.expr):
            empty.append(f"{query.dashboard} / {query.panel}: {query.expr}")
    print(f"dashboard queries: {len(checked)} with data, {len(unfed)} not fed: {set(unfed)}")
    assert not empty, "panel queries without data:\n" + "\n".join(empty)
    assert len(checked) >= 0.7 * (len(checked) + len(unfed)), (len(checked), unfed)


async def wait_for_rate(prometheus: PrometheusServer, account: str, value: float) -> None:
    expr = f'linkedin_invitation_acceptance_ratio{{account_id="{account}",period="rolling_96h"}}'
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        result = prometheus.query(expr)
        if result and float(result[0]["value"][1]) == pytest.approx(value):
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"Prometheus never saw {account} at {value}")


async def test_acceptance_alert_fires_and_resolves_end_to_end(
    setup: WorkerSetup,
    redis_client: aioredis.Redis,
    webhook_receiver: WebhookReceiver,
    alertmanager_server: ManagedProcess,
    prometheus_factory: PrometheusFactory,
    fast_alerting_config: AlertingConfig,
) -> None:
    low, ok = "rep-low", "rep-ok"
    items = event_log(seed=13, accounts=4, events=None, days=7, start=GENERATED_FROM)
    items += [invitation(a, n) for a in (low, ok) for n in range(30)]
    items += [invitation(a, n, "accepted") for a in (low, ok) for n in range(20)]  # 20/30
    await produce(setup, items)
    worker = WorkerProcess(setup, "worker-0")
    try:
        target = await metrics_target(redis_client, setup, worker)
        config = fast_alerting_config.with_sustain(**{LOW: "2s"})
        prometheus = prometheus_factory([target], config, alertmanager_server)
        await wait_for_rate(prometheus, low, 20 / 30)  # healthy, scraped and evaluated

        # The drop, while everything runs: 70 more sent, none accepted: 20/100.
        await produce(setup, [invitation(low, n) for n in range(30, 100)])
        dropped_at = time.time()
        alert = await asyncio.to_thread(webhook_receiver.wait_for, LOW, account_id=low, timeout=90)
        print(f"webhook fired {alert['_received_at'] - dropped_at:.1f}s after the drop (for: 2s)")
        assert alert["receiver"] == "reps"
        assert alert["annotations"]["summary"] == (
            "rep-low: invitation acceptance rate 20% is under 30%"
        )
        assert alert["_received_at"] - dropped_at >= 2  # the `for:` held
        assert not webhook_receiver.alerts(LOW, account_id=ok)

        await produce(setup, [invitation(low, n, "accepted") for n in range(30, 60)])  # 50/100
        resolved = await asyncio.to_thread(
            webhook_receiver.wait_for, LOW, status="resolved", account_id=low, timeout=90
        )
        assert resolved["endsAt"] >= alert["startsAt"]
        assert not webhook_receiver.alerts(LOW, account_id=ok)
        check_dashboard_queries(prometheus, await scrape_names(target))
    finally:
        worker.stop()
