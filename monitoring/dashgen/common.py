"""Shared building blocks so the four dashboards look and behave alike.

Every panel goes through `timeseries`, `stat_panel`, `bargauge_panel` or `table_panel` below, which
guarantees what the tests check: a unit, a description and `$datasource` on every panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from grafana_foundation_sdk.builders import bargauge, common, dashboard, prometheus, stat, table
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as dash_models
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from .config import CONFIG

DATASOURCE = dash_models.DataSourceRef(type_val="prometheus", uid="${datasource}")
DASHBOARD_TAG = "maestro"
REFRESH = "30s"
GRID_COLUMNS = 24
QUOTA_WARNING_RATIO = CONFIG.quota_warning_ratio
ERROR_RATE_ALERT_PER_SECOND = CONFIG.server_error_rate_per_second
#: Grafana's import dialog asks for a data source for each input (UI import, seed step 4).
DATASOURCE_INPUT = {
    "name": "DS_PROMETHEUS",
    "label": "Prometheus",
    "description": "The Prometheus that scrapes Maestro",
    "type": "datasource",
    "pluginId": "prometheus",
    "pluginName": "Prometheus",
}


def sel(metric: str, *matchers: str) -> str:
    """A series selector scoped by the config's job (and cluster) selector."""
    return CONFIG.select(metric, *matchers)


@dataclass(frozen=True)
class Query:
    """One PromQL target; `legend` is a Grafana legend template such as `{{endpoint}}`."""

    expr: str
    legend: str = ""
    instant: bool = False
    table: bool = False


def _target(query: Query, ref_id: str) -> prometheus.Dataquery:
    target = prometheus.Dataquery().expr(query.expr).ref_id(ref_id).datasource(DATASOURCE)
    if query.legend:
        target = target.legend_format(query.legend)
    if query.table:
        target = target.format(PromQueryFormat.TABLE)
    return target.instant() if query.instant else target.range()


def _targets(queries: Sequence[Query]) -> list[prometheus.Dataquery]:
    return [_target(query, chr(ord("A") + index)) for index, query in enumerate(queries)]


def _thresholds(limit: float | None) -> dashboard.ThresholdsConfig:
    steps = [dash_models.Threshold(value=None, color="green")]
    if limit is not None:
        steps.append(dash_models.Threshold(value=limit, color="red"))
    return dashboard.ThresholdsConfig().mode(dash_models.ThresholdsMode.ABSOLUTE).steps(steps)


PanelBuilder = TypeVar("PanelBuilder", ts.Panel, stat.Panel, bargauge.Panel, table.Panel)


def _basics(
    panel: PanelBuilder,
    title: str,
    description: str,
    unit: str,
    queries: Sequence[Query],
    threshold: float | None,
    width: int,
    height: int,
) -> PanelBuilder:
    """What every panel has: title, description, unit, `$datasource`, thresholds and a size."""
    return (
        panel.title(title)
        .description(description)
        .unit(unit)
        .datasource(DATASOURCE)
        .targets(_targets(queries))
        .thresholds(_thresholds(threshold))
        .span(width)
        .height(height)
    )


def _instant(query: Query, *, table: bool = False) -> Query:
    return Query(query.expr, query.legend, instant=True, table=table)


def _last_value() -> common.ReduceDataOptions:
    return common.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def timeseries(
    title: str,
    description: str,
    unit: str,
    queries: Sequence[Query],
    *,
    threshold: float | None = None,
    max_value: float | None = None,
    stacked: bool = False,
    decimals: int | None = None,
    width: int = 12,
    height: int = 8,
) -> ts.Panel:
    """A time series; `threshold` is drawn as a red dashed line (quota and error-rate alerts).

    Every series shows in the tooltip (`multi`): most panels have one series per label value.
    """
    panel = (
        _basics(ts.Panel(), title, description, unit, queries, threshold, width, height)
        .min(0)
        .tooltip(
            common.VizTooltipOptions()
            .mode(common_models.TooltipDisplayMode.MULTI)
            .sort(common_models.SortOrder.DESCENDING)
        )
        .fill_opacity(10)
        .legend(
            common.VizLegendOptions()
            .display_mode(common_models.LegendDisplayMode.TABLE)
            .placement(common_models.LegendPlacement.RIGHT)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
    )
    if threshold is not None:
        panel = panel.thresholds_style(
            common.GraphThresholdsStyleConfig().mode(common_models.GraphThresholdsStyleMode.DASHED)
        )
    if max_value is not None:
        panel = panel.max(max_value)
    if stacked:
        panel = panel.stacking(common.StackingConfig().mode(common_models.StackingMode.NORMAL))
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def stat_panel(
    title: str, description: str, unit: str, query: Query, *, width: int = 6, height: int = 4
) -> stat.Panel:
    """A single big number from an instant query; an empty result is a true 0, not "No data"."""
    return (
        _basics(stat.Panel(), title, description, unit, [_instant(query)], None, width, height)
        .no_value("0")
        .decimals(0)
        .graph_mode(common_models.BigValueGraphMode.NONE)
        .color_mode(common_models.BigValueColorMode.VALUE)
        .reduce_options(_last_value())
    )


def bargauge_panel(
    title: str,
    description: str,
    unit: str,
    query: Query,
    *,
    decimals: int | None = None,
    width: int = 12,
    height: int = 8,
) -> bargauge.Panel:
    """One bar per series (tenant, status...) from an instant query."""
    panel = (
        _basics(bargauge.Panel(), title, description, unit, [_instant(query)], None, width, height)
        .orientation(common_models.VizOrientation.HORIZONTAL)
        .display_mode(common_models.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(_last_value())
        .min(0)
    )
    return panel.decimals(decimals) if decimals is not None else panel


def table_panel(
    title: str,
    description: str,
    unit: str,
    queries: Sequence[Query],
    *,
    column_units: dict[str, str] | None = None,
    threshold: float | None = None,
    decimals: int | None = None,
    width: int = 24,
    height: int = 9,
) -> table.Panel:
    """Instant queries in table format, merged into one row per label set.

    `column_units` maps a column's name (a query's legend) to a unit when columns differ from
    the panel unit: by name, because the `merge` transform drops the ref ids. Grafana names the
    value column `Value` for a single query and `Value #A`, `Value #B`... for several.
    With a `threshold`, cells at or above it get a red background.
    """
    if len(queries) == 1:
        rename = {"Value": queries[0].legend or "Value"}
    else:
        rename = {f"Value #{chr(ord('A') + i)}": q.legend or "Value" for i, q in enumerate(queries)}
    panel = (
        _basics(
            table.Panel(),
            title,
            description,
            unit,
            [_instant(q, table=True) for q in queries],
            threshold,
            width,
            height,
        )
        .align(common_models.FieldTextAlignment.AUTO)
        .inspect(False)
        .with_transformation(dash_models.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            dash_models.DataTransformerConfig(
                id_val="organize",
                options={"excludeByName": {"Time": True}, "renameByName": rename},
            )
        )
    )
    if threshold is not None:
        panel = panel.cell_options(
            common_models.TableColoredBackgroundCellOptions(
                mode=common_models.TableCellBackgroundDisplayMode.BASIC
            )
        )
    for column, column_unit in (column_units or {}).items():
        panel = panel.override_by_name(
            column, [dash_models.DynamicConfigValue(id_val="unit", value=column_unit)]
        )
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def datasource_variable() -> dashboard.DatasourceVariable:
    """`$datasource`, defaulting to the data source named "Prometheus" that the seed requires."""
    return (
        dashboard.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .current(dash_models.VariableOption(selected=True, text="Prometheus", value="Prometheus"))
    )


def tenant_variable() -> dashboard.QueryVariable:
    """`$tenant`: tenant slugs known to the quota collector, multi-select with an All option."""
    return (
        dashboard.QueryVariable("tenant")
        .label("Tenant")
        .datasource(DATASOURCE)
        .query(
            {
                "query": "label_values(maestro_tenant_quota_usage_ratio, tenant_id)",
                "refId": "PrometheusVariableQueryEditor-VariableQuery",
            }
        )
        .refresh(dash_models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dash_models.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(dash_models.VariableOption(selected=True, text="All", value="$__all"))
    )


@dataclass(frozen=True)
class Section:
    """A row of panels on one topic; the row header is a collapsible Grafana row."""

    title: str
    panels: Sequence[Builder[dash_models.Panel]]


def _size(panel: Builder[dash_models.Panel]) -> tuple[int, int]:
    built = panel.build()
    return built.grid_pos.w, built.grid_pos.h


def new_dashboard(
    uid: str, title: str, description: str, sections: Sequence[Section]
) -> dashboard.Dashboard:
    """A read-only dashboard wired to `$datasource`, linked to its three siblings by tag.

    Panels flow left to right inside the 24-column grid, wrapping to a new line when the next
    one would not fit; each section starts with a full-width row header.
    """
    builder = (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([DASHBOARD_TAG])
        .readonly()
        .refresh(REFRESH)
        .time("now-1h", "now")
        .timezone("browser")
        .tooltip(dash_models.DashboardCursorSync.CROSSHAIR)
        .timepicker(dashboard.TimePicker().refresh_intervals(["30s", "1m", "5m", "15m"]))
        .with_variable(datasource_variable())
        .link(
            dashboard.DashboardLink("Maestro dashboards")
            .type(dash_models.DashboardLinkType.DASHBOARDS)
            .tags([DASHBOARD_TAG])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )
    panel_id, y = 1, 0
    for section in sections:
        builder = builder.with_row(
            dashboard.Row(section.title)
            .id(panel_id)
            .grid_pos(dash_models.GridPos(h=1, w=GRID_COLUMNS, x=0, y=y))
        )
        panel_id, y = panel_id + 1, y + 1
        x, line_height = 0, 0
        for panel in section.panels:
            width, height = _size(panel)
            if x + width > GRID_COLUMNS:
                x, y, line_height = 0, y + line_height, 0
            panel.id(panel_id).grid_pos(dash_models.GridPos(h=height, w=width, x=x, y=y))
            builder = builder.with_panel(panel)
            panel_id, x, line_height = panel_id + 1, x + width, max(line_height, height)
        y += line_height
    return builder


def to_json(board: dashboard.Dashboard) -> dict[str, object]:
    """The dashboard model plus `__inputs`, which the SDK does not model, for UI import."""
    import json

    from grafana_foundation_sdk.cog.encoder import JSONEncoder

    data = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    data["__inputs"] = [DATASOURCE_INPUT]
    return data
