"""Dashboard (e): health of the socialkpi workers (throughput, dead letters, lag, evaluation).

Worker metrics carry no ``account_id`` (they are per process); only the snapshot age is per
account. Counters are summed over every worker of the deployment.
"""

from __future__ import annotations

from alerting.config import Thresholds
from grafana_dashboards.panels import DashboardBuilder, Q, graph, new_dashboard, row, sel, single

UID = "socialkpi-worker"
TITLE = "socialkpi / Worker health"
DESCRIPTION = (
    "Events processed per second, dead letters by reason, consumer lag, evaluation duration "
    "and the age of each account's published snapshot."
)
RATE = "[$__rate_interval]"


def build(limits: Thresholds) -> DashboardBuilder:
    del limits  # the worker alerts' thresholds are durations and counts, not lines
    return (
        new_dashboard(UID, TITLE, DESCRIPTION, time_from="now-6h")
        .with_row(row("Throughput and input"))
        .with_panel(
            graph(
                "Events processed per second",
                "Valid events applied, by event type (duplicates and late events included).",
                [Q(f"sum by (type) (rate(socialkpi_events_processed_total{RATE}))", "{{type}}")],
                unit="ops",
                min_val=0,
                stacked=True,
            )
        )
        .with_panel(
            graph(
                "Dead letters by reason",
                "Messages sent to the dead-letter topic per interval, by rejection kind: fix the "
                "collector that sends them.",
                [
                    Q(
                        f"sum by (reason) (increase(socialkpi_dead_letters_total{RATE}))",
                        "{{reason}}",
                    )
                ],
                min_val=0,
                bars=True,
            )
        )
        .with_panel(
            graph(
                "Consumer lag by topic",
                "Messages between the group's committed offsets and the ends of the input "
                "partitions: growing lag = the workers do not keep up.",
                [Q("sum by (topic) (socialkpi_consumer_lag)", "{{topic}}")],
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Late and duplicate events per second",
                "Events older than their KPI's retention (counted, not applied) and re-sent "
                "duplicates (applied once).",
                [
                    Q(f"sum by (type) (rate(socialkpi_late_events_total{RATE}))", "late {{type}}"),
                    Q(
                        f"sum by (type) (rate(socialkpi_duplicate_events_total{RATE}))",
                        "duplicate {{type}}",
                    ),
                ],
                unit="ops",
                min_val=0,
            )
        )
        .with_row(row("Evaluation"))
        .with_panel(
            graph(
                "Evaluation duration",
                "Wall time of one evaluation of every local account (p50, p90, max bucket).",
                [
                    Q(
                        f"histogram_quantile({q}, sum by (le) "
                        f"(rate(socialkpi_evaluation_duration_seconds_bucket{RATE})))",
                        f"p{round(q * 100)}",
                    )
                    for q in (0.5, 0.9, 0.99)
                ],
                unit="s",
                min_val=0,
            )
        )
        .with_panel(
            graph(
                "Snapshot age",
                "Seconds since each account's published records were evaluated, and since the "
                "last evaluation of each worker: a stuck worker shows a rising line.",
                [
                    Q(
                        f"time() - {sel('socialkpi_snapshot_as_of_timestamp_seconds')}",
                        "{{account_id}}",
                    ),
                    Q(
                        "time() - socialkpi_last_evaluation_timestamp_seconds",
                        "last evaluation {{instance}}",
                    ),
                ],
                unit="s",
                min_val=0,
            )
        )
        .with_panel(
            single(
                "Accounts",
                "Accounts held by the workers.",
                [Q("sum(socialkpi_accounts)", "accounts")],
                w=12,
            )
        )
        .with_panel(
            single(
                "KPI records per evaluation",
                "Records produced by the last evaluation, all workers.",
                [Q("sum(socialkpi_evaluation_records)", "records")],
                w=12,
            )
        )
    )
