"""The metric names and label names the worker's exporter really exposes, for the checks of
the dashboards' queries.

Derived by running ``sinks.prometheus.exporter.PrometheusExporter`` itself, not a copied list:
the bundled sample (``cli/sample/events.jsonl``) is replayed through the engine and rendered,
which yields the names the exporter derives from record dims (``_p50_seconds``, the 28-day
baseline, the snapshot timestamp); every KPI of ``KPI_METRICS`` the sample lacks is rendered
from one dimensionless record; every labelled worker metric gets one child. The names are
then the samples of a collection, as a scrape shows them (counters end in ``_total``,
histograms in ``_bucket``/``_sum``/``_count``).
"""

from __future__ import annotations

import io
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from prometheus_client.metrics import MetricWrapperBase

from kpis.replay import replay
from models.records import KpiRecord
from sinks.prometheus.catalog import KPI_METRICS
from sinks.prometheus.exporter import PrometheusExporter

SAMPLE = Path(__file__).resolve().parents[1] / "cli" / "sample" / "events.jsonl"


@lru_cache(maxsize=1)
def exported_series() -> dict[str, frozenset[str]]:
    """Sample name -> the label names it is exposed with."""
    records, _, _ = replay([str(SAMPLE)], errors=io.StringIO())
    by_account: dict[str, list[KpiRecord]] = defaultdict(list)
    for record in records:
        by_account[record.account_id].append(record)
    seen = {record.kpi for record in records}
    as_of = records[0].as_of
    extra = [
        KpiRecord("synthetic", kpi, "total", 1, as_of, {}) for kpi in KPI_METRICS if kpi not in seen
    ]
    exporter = PrometheusExporter(process_metrics=False)
    for account, account_records in [*by_account.items(), ("synthetic", extra)]:
        exporter.kpis.stage(account, account_records)
    exporter.kpis.commit()
    for metric in vars(exporter.worker).values():
        if isinstance(metric, MetricWrapperBase) and metric._labelnames:
            metric.labels(*("x" for _ in metric._labelnames))
    found: dict[str, set[str]] = defaultdict(set)
    for family in exporter.registry.collect():
        for sample in family.samples:
            found[sample.name].update(sample.labels)
    return {name: frozenset(labels) for name, labels in found.items()}


def exported_metric_names() -> frozenset[str]:
    return frozenset(exported_series())


def exported_label_names() -> frozenset[str]:
    return frozenset().union(*exported_series().values())
