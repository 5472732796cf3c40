"""Prometheus exporter: KPI gauges rendered from the latest records, plus worker health.

One job per module: `catalog` (which metric each KPI becomes), `collector` (`KpiCollector`:
records to samples, rendered at scrape time), `exporter` (`PrometheusExporter`, the
`streams.publisher.RecordsPublisher`, and `start_http`), `worker_metrics` (`WorkerMetrics`,
the worker's health counters, gauges and histogram). Every metric is documented in
``docs/metrics.md``.
"""
