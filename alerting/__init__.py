"""Alerting: one config (``deploy/alerting.yaml``) for the generated Prometheus rules and the
worker's own acceptance-rate evaluator (docs/alerting.md).

- `alerting.config`: the typed config, `load_config`.
- `alerting.rules`: ``python -m alerting.rules`` writes the Prometheus rules file.
- `alerting.baseline`: the 28-day acceptance baseline over the day cohorts.
- `alerting.evaluator`: `AlertEvaluator`, `AlertTransition` (pure: no Kafka, Redis or Faust).
- `alerting.catalog`: every alert's labels and annotation text.
"""
