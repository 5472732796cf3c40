"""The grafana-foundation-sdk modules the dashboards use, imported in one place.

The SDK flags its classic dashboard model and builder as superseded by the v2 schema, with a
DeprecationWarning at import; Grafana 12 only provisions v2 dashboards from files behind
feature flags, so the classic JSON (schemaVersion 42) is what every Grafana 12 loads and
what is built here. The warning is silenced for these imports only.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
    from grafana_foundation_sdk.builders import common as common_builders
    from grafana_foundation_sdk.builders import dashboard as db
    from grafana_foundation_sdk.builders import prometheus as prom
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.cog.plugins import register_default_plugins
    from grafana_foundation_sdk.models import common
    from grafana_foundation_sdk.models import dashboard as dm
    from grafana_foundation_sdk.models import prometheus as prom_models

__all__ = [
    "JSONEncoder",
    "bargauge",
    "common",
    "common_builders",
    "db",
    "dm",
    "prom",
    "prom_models",
    "register_default_plugins",
    "stat",
    "table",
    "timeseries",
]
