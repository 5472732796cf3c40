"""Every PromQL query of the dashboards, with Grafana's variables substituted, and a small
PromQL scanner for the metric and label names a query uses.

The end-to-end test runs `dashboard_queries(account_id=...)` against a real Prometheus
scraping a fed worker; ``tests/dashboards`` parses them with promtool and checks their
names against what the exporter exports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from grafana_dashboards.build import dashboards_json

# Grafana variables a query may use, and what they become outside Grafana.
VARIABLES = frozenset({"account_id", "__rate_interval", "__interval"})
_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
# RE2 metacharacters Grafana escapes in a regex-matched variable value.
_REGEX_META = re.compile(r"([\\^$*+?.()|{}\[\]])")

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{([^{}]*)\}")
_MATCHER_LABEL = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
_BARE_GROUP = re.compile(r"\b(?:group_left|group_right)\b")
_IDENT = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?")
_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool"}
    | {"and", "or", "unless", "offset", "atan2", "inf", "nan"}
)


@dataclass(frozen=True, slots=True)
class DashboardQuery:
    """One target of one panel. ``expr`` is as committed (Grafana variables) from
    `raw_queries`, substituted from `dashboard_queries`."""

    dashboard: str  # uid, also the file name under deploy/grafana/dashboards/
    row: str
    panel: str  # panel title
    ref_id: str
    expr: str
    legend: str
    unit: str
    instant: bool


def iter_panels(dashboard: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(row title, panel) of every non-row panel, collapsed rows' panels included."""
    current = ""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            current = str(panel.get("title", ""))
            for inner in panel.get("panels", []):
                yield current, inner
        else:
            yield current, panel


def raw_queries() -> list[DashboardQuery]:
    """Every target of every dashboard, in layout order, with Grafana's variables."""
    out = []
    for dashboard in dashboards_json():
        for row, panel in iter_panels(dashboard):
            unit = str(panel.get("fieldConfig", {}).get("defaults", {}).get("unit", ""))
            for target in panel.get("targets", []):
                out.append(
                    DashboardQuery(
                        dashboard=str(dashboard["uid"]),
                        row=row,
                        panel=str(panel["title"]),
                        ref_id=str(target["refId"]),
                        expr=str(target["expr"]),
                        legend=str(target.get("legendFormat", "")),
                        unit=unit,
                        instant=bool(target.get("instant", False)),
                    )
                )
    return out


def dashboard_queries(
    account_id: str | None = None, *, rate_interval: str = "1m", interval: str = "15s"
) -> list[DashboardQuery]:
    """Every dashboard query as Grafana would send it with `account_id` selected (None = every
    account), ``$__rate_interval`` = `rate_interval`, ``$__interval`` = `interval`."""
    return [
        replace(q, expr=substitute(q.expr, account_id, rate_interval, interval))
        for q in raw_queries()
    ]


def variables(expr: str) -> set[str]:
    """Names of the Grafana variables (``$name`` / ``${name}``) used in `expr`."""
    return {braced or bare for braced, bare in _VARIABLE.findall(expr)}


def substitute(
    expr: str, account_id: str | None = None, rate_interval: str = "1m", interval: str = "15s"
) -> str:
    """Replace Grafana's variables as Grafana does: `account_id` is regex-escaped (it sits in
    ``account_id=~"..."``) then escaped for the PromQL string; None selects every account."""
    unknown = variables(expr) - VARIABLES
    if unknown:
        raise ValueError(f"unknown Grafana variable(s) {sorted(unknown)} in {expr!r}")
    if account_id is None:
        account = ".+"
    else:
        account = _REGEX_META.sub(r"\\\1", account_id).replace("\\", "\\\\").replace('"', '\\"')
    values = {"account_id": account, "__rate_interval": rate_interval, "__interval": interval}
    return _VARIABLE.sub(lambda m: values[m.group(1) or m.group(2)], expr)


def _strip_strings(expr: str) -> str:
    return _STRING.sub('""', expr)


def label_names(expr: str) -> set[str]:
    """Label names a query matches on or groups by (legends excluded)."""
    text = _strip_strings(expr)
    names: set[str] = set()
    for body in _MATCHERS.findall(text):
        names.update(_MATCHER_LABEL.findall(body))
    for body in _GROUPING.findall(text):
        names.update(part.strip() for part in body.split(",") if part.strip())
    return names


def metric_names(expr: str) -> set[str]:
    """Metric names a query selects: identifiers that are not functions, aggregations,
    keywords, label names or durations. Enough for the dashboards' PromQL (no ``__name__``
    matchers, no string arguments naming metrics)."""
    text = _strip_strings(expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _BARE_GROUP.sub(" ", text)
    return {
        name for name, call in _IDENT.findall(text) if not call and name.lower() not in _KEYWORDS
    }
