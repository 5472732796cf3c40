"""Grafana dashboards as code (grafana-foundation-sdk): network and invitations, content,
messages and outcomes, ads, worker health.

``python -m grafana_dashboards`` writes ``deploy/grafana/dashboards/*.json`` and
``docs/dashboards.md``; `grafana_dashboards.queries.dashboard_queries` lists every query for
tests that run them against a real Prometheus. A top-level package (not under ``deploy/``)
so it imports like the project's other packages; the SDK is a dev dependency, since Grafana
only needs the generated JSON.
"""
