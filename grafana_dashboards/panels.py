"""Panel, query and variable helpers shared by the dashboards (grafana-foundation-sdk builders).

Every panel reads the ``datasource`` variable and every KPI selector filters on
``account_id=~"$account_id"`` (`sel`), so a team lead can pick several reps and one import
works against any Prometheus. Legends start with ``{{account_id}}`` for the same reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, Self, TypeVar

from grafana_dashboards.sdk import (
    bargauge,
    common,
    common_builders,
    db,
    dm,
    prom,
    prom_models,
    stat,
    table,
    timeseries,
)

DATASOURCE_VAR = "datasource"
ACCOUNT_VAR = "account_id"
DATASOURCE = common.DataSourceRef(type_val="prometheus", uid="${" + DATASOURCE_VAR + "}")
ACCOUNT_MATCHER = f'{ACCOUNT_VAR}=~"${ACCOUNT_VAR}"'
# Every account with records has this series (sinks/prometheus/collector.py), whatever
# KPI families it feeds: an ads-only account appears too, which a linkedin_* KPI metric
# would not guarantee.
ACCOUNT_VALUES = f"label_values(socialkpi_snapshot_as_of_timestamp_seconds, {ACCOUNT_VAR})"
REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DashboardBuilder = db.Dashboard


def sel(metric: str, *matchers: str, **equal: str) -> str:
    """``metric{account_id=~"$account_id", k="v", <matchers>}``: a KPI selector of the
    selected accounts (`matchers` are raw, e.g. ``'channel!=""'``)."""
    parts = [ACCOUNT_MATCHER, *(f'{k}="{v}"' for k, v in equal.items()), *matchers]
    return f"{metric}{{{', '.join(parts)}}}"


@dataclass(frozen=True, slots=True)
class Q:
    """One PromQL target: expression and legend (``{{label}}`` templates)."""

    expr: str
    legend: str = ""


@dataclass(frozen=True, slots=True)
class Line:
    """A threshold: drawn as a dashed line on time series, colours the value on stats."""

    value: float
    below: str = "red"
    above: str = "green"

    def config(self) -> db.ThresholdsConfig:
        steps = [dm.Threshold(None, self.below), dm.Threshold(self.value, self.above)]
        return db.ThresholdsConfig().mode(dm.ThresholdsMode.ABSOLUTE).steps(steps)


def _targets(queries: Sequence[Q], *, instant: bool = False) -> list[prom.Dataquery]:
    out = []
    for ref, query in zip(REF_IDS, queries, strict=False):
        target = prom.Dataquery().datasource(DATASOURCE).ref_id(ref).expr(query.expr)
        if query.legend:
            target = target.legend_format(query.legend)
        if instant:
            target = target.instant().format(prom_models.PromQueryFormat.TABLE)
        out.append(target)
    if len(out) != len(queries):
        raise ValueError("too many queries for one panel")
    return out


class _Panel(Protocol):
    """What every panel builder of the SDK has (each returns its own type)."""

    def title(self, title: str) -> Self: ...
    def description(self, description: str) -> Self: ...
    def datasource(self, datasource: common.DataSourceRef) -> Self: ...
    def unit(self, unit: str) -> Self: ...
    def span(self, w: int) -> Self: ...
    def height(self, h: int) -> Self: ...
    def with_target(self, target: prom.Dataquery) -> Self: ...


PanelT = TypeVar("PanelT", bound=_Panel)


def _framed(panel: PanelT, title: str, description: str, unit: str, w: int, h: int) -> PanelT:
    """The frame every panel shares: texts, the datasource variable, unit and size."""
    return (
        panel.title(title).description(description).datasource(DATASOURCE).unit(unit).span(w)
    ).height(h)


def _with_queries(panel: PanelT, queries: Sequence[Q], *, instant: bool = False) -> PanelT:
    for target in _targets(queries, instant=instant):
        panel = panel.with_target(target)
    return panel


def _legend() -> common_builders.VizLegendOptions:
    return (
        common_builders.VizLegendOptions()
        .show_legend(True)
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(common.LegendPlacement.BOTTOM)
        .calcs([])
    )


def graph(
    title: str,
    description: str,
    queries: Sequence[Q],
    *,
    unit: str = "short",
    line: Line | None = None,
    min_val: float | None = None,
    max_val: float | None = None,
    stacked: bool = False,
    bars: bool = False,
    w: int = 12,
    h: int = 8,
) -> timeseries.Panel:
    """A time series panel; `line` draws the threshold dashed (30 % acceptance, SSI 60, ...)."""
    panel = (
        _framed(timeseries.Panel(), title, description, unit, w, h)
        .legend(_legend())
        .tooltip(common_builders.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI))
        .fill_opacity(10)
        .line_width(1)
    )
    if min_val is not None:
        panel = panel.min(min_val)
    if max_val is not None:
        panel = panel.max(max_val)
    if line is not None:
        style = common_builders.GraphThresholdsStyleConfig().mode(
            common.GraphThresholdsStyleMode.DASHED
        )
        panel = panel.thresholds(line.config()).thresholds_style(style)
    if stacked:
        stacking = common_builders.StackingConfig().mode(common.StackingMode.NORMAL)
        panel = panel.stacking(stacking)
    if bars:
        panel = panel.draw_style(common.GraphDrawStyle.BARS).fill_opacity(60)
    return _with_queries(panel, queries)


def single(
    title: str,
    description: str,
    queries: Sequence[Q],
    *,
    unit: str = "short",
    line: Line | None = None,
    decimals: int | None = None,
    w: int = 8,
    h: int = 5,
) -> stat.Panel:
    """A stat panel showing the last value of each series, coloured by `line` if given."""
    panel = (
        _framed(stat.Panel(), title, description, unit, w, h)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .graph_mode(common.BigValueGraphMode.AREA)
        .color_mode(common.BigValueColorMode.VALUE)
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    panel = panel.thresholds((line or Line(0, below="blue", above="blue")).config())
    return _with_queries(panel, queries)


def bars(
    title: str,
    description: str,
    queries: Sequence[Q],
    *,
    unit: str = "short",
    w: int = 12,
    h: int = 8,
) -> bargauge.Panel:
    """A horizontal bar gauge of the current values (one bar per series)."""
    panel = (
        _framed(bargauge.Panel(), title, description, unit, w, h)
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(Line(0, below="blue", above="blue").config())
        .min(0)
    )
    return _with_queries(panel, queries)


def grid(
    title: str,
    description: str,
    columns: Sequence[tuple[str, Q]],
    *,
    unit: str = "short",
    units: Mapping[str, str] | None = None,
    hidden: Sequence[str] = ("Time", "period", "__name__"),
    w: int = 24,
    h: int = 8,
) -> table.Panel:
    """A table of instant queries merged on their labels: one row per series key, one
    column per query (``columns`` = (column title, query); `units` = per-column units)."""
    queries = [query for _, query in columns]
    rename = {f"Value #{ref}": name for ref, (name, _) in zip(REF_IDS, columns, strict=False)}
    panel = (
        _framed(table.Panel(), title, description, unit, w, h)
        .with_transformation(dm.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            dm.DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": dict.fromkeys(hidden, True),
                    "renameByName": rename,
                },
            )
        )
    )
    for name, column_unit in (units or {}).items():
        panel = panel.override_by_name(name, [dm.DynamicConfigValue("unit", column_unit)])
    return _with_queries(panel, queries, instant=True)


def row(title: str) -> db.Row:
    return db.Row(title)


def new_dashboard(uid: str, title: str, description: str, *, time_from: str) -> db.Dashboard:
    """A dashboard with the ``datasource`` and ``account_id`` variables and links to the
    other socialkpi dashboards (tag ``socialkpi``)."""
    datasource = db.DatasourceVariable(DATASOURCE_VAR).label("Data source").type("prometheus")
    accounts = (
        db.QueryVariable(ACCOUNT_VAR)
        .label("Account")
        .description("Measured LinkedIn profiles or pages (account_id); several may be picked.")
        .datasource(DATASOURCE)
        .query(ACCOUNT_VALUES)
        .definition(ACCOUNT_VALUES)
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
        .multi(True)
        .include_all(False)
    )
    links = (
        db.DashboardLink("socialkpi dashboards")
        .type(dm.DashboardLinkType.DASHBOARDS)
        .tags(["socialkpi"])
        .as_dropdown(True)
        .include_vars(True)
        .keep_time(True)
    )
    return (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["socialkpi", "linkedin"])
        .time(time_from, "now")
        .refresh("1m")
        .timezone("utc")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .with_variable(datasource)
        .with_variable(accounts)
        .link(links)
    )
