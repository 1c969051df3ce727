"""The four Grafana dashboards: generated, importable, and faithful to the seed README."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import promql_parser
import pytest
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from maestro.monitoring.contract import STATE_GAUGES, stored_series_names
from maestro.monitoring.dashboards import load_panel_queries, render_query
from tests.monitoring.support import MONITORING, REPO_ROOT, metric_names

sys.path.insert(0, str(MONITORING))
from dashgen.config import CONFIG

DASHBOARDS_DIR = MONITORING / "grafana" / "dashboards"

# Copied letter for letter from issue 5 / the seed README; every one is kept, inside a row.
EXPECTED_PANELS = {
    "maestro-ml-overview.json": [
        "HTTP Request Rate",
        "HTTP Request Latency (p95)",
        "Total Models",
        "Total Experiments (24h)",
        "API Error Rate",
        "Rate Limit Exceeded Events",
        "Model Operations by Type",
        "Feature Discovery Duration",
        "Tenant Quota Usage",
    ],
    "ml-operations.json": [
        "Model Operations Rate (create, update, delete, deploy)",
        "Models by Tenant",
        "Model Size Distribution (p50, p95)",
        "Experiments by Status",
        "Training Job Duration (p95)",
        "Model Card Generations",
        "Model Operations Summary Table",
    ],
    "tenant-management.json": [
        "Quota Usage by Resource Type",
        "Active Users (total)",
        "Total Tenants",
        "Active Users by Tenant",
        "Tenant Resource Usage Table",
        "Models per Tenant",
        "API Requests by Tenant",
    ],
    "api-performance.json": [
        "Request Rate by Endpoint",
        "Request Latency by Percentile (p50, p95, p99)",
        "Error Rate by Endpoint",
        "Requests in Progress",
        "Status Code Distribution",
        "Rate Limit Events",
        "Endpoint Performance Summary Table",
    ],
}
EXPECTED_UIDS = {
    "maestro-ml-overview.json": "maestro-ml-overview",
    "ml-operations.json": "maestro-ml-operations",
    "tenant-management.json": "maestro-tenant-management",
    "api-performance.json": "maestro-api-performance",
}
ADDED_PANELS = {
    "ml-operations.json": {
        "Jobs": [
            "Training Job Duration (p95)",
            "Jobs by Kind and State",
            "Oldest Queued Job",
            "Lease Expiries and Retries",
            "Job Metrics Outbox Backlog",
            "Job Failure Ratio",
        ],
        "Model health": [
            "Model Drift Score",
            "Drifted Features",
            "Live vs Training Accuracy",
            "Prediction Volume",
        ],
    },
    "api-performance.json": {
        "Errors": ["Error Rate by Endpoint", "Client Errors by Code", "Rate Limit Events"]
    },
}
THRESHOLD_PANELS = {
    ("maestro-ml-overview.json", "Tenant Quota Usage"): CONFIG.quota_warning_ratio,
    ("tenant-management.json", "Quota Usage by Resource Type"): CONFIG.quota_warning_ratio,
    ("tenant-management.json", "Tenant Resource Usage Table"): CONFIG.quota_warning_ratio,
    ("api-performance.json", "Error Rate by Endpoint"): CONFIG.server_error_rate_per_second,
    ("ml-operations.json", "Oldest Queued Job"): CONFIG.oldest_queued_job_seconds,
    ("ml-operations.json", "Job Metrics Outbox Backlog"): CONFIG.outbox_backlog_rows,
    ("ml-operations.json", "Job Failure Ratio"): CONFIG.job_failure_ratio,
    ("ml-operations.json", "Model Drift Score"): CONFIG.drift_score,
}
RARE_EVENT_PANELS = {
    ("ml-operations.json", "Model Size Distribution (p50, p95)"),
    ("ml-operations.json", "Training Job Duration (p95)"),
    ("maestro-ml-overview.json", "Feature Discovery Duration"),
}


def load(name: str) -> dict[str, Any]:
    return json.loads((DASHBOARDS_DIR / name).read_text())


def all_panels() -> list[tuple[str, dict[str, Any]]]:
    """Every visualisation panel (row headers left out)."""
    return [
        (name, panel)
        for name in EXPECTED_PANELS
        for panel in load(name)["panels"]
        if panel["type"] != "row"
    ]


def rows(name: str) -> dict[str, list[str]]:
    """Row title -> titles of the panels under it, in order."""
    sections: dict[str, list[str]] = {}
    current = None
    for panel in load(name)["panels"]:
        if panel["type"] == "row":
            current = sections.setdefault(panel["title"], [])
        else:
            assert current is not None, f"{name}: {panel['title']} is above the first row"
            current.append(panel["title"])
    return sections


def recording_rule_names(rule_groups: list[dict[str, Any]]) -> set[str]:
    return {rule["record"] for group in rule_groups for rule in group["rules"] if "record" in rule}


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    script = MONITORING / "generate_dashboards.py"
    return subprocess.run(
        [sys.executable, str(script), *args], cwd=REPO_ROOT, capture_output=True, text=True
    )


def test_committed_json_equals_generator_output(dashboard_generator: ModuleType) -> None:
    assert dashboard_generator.stale_files() == []
    assert run_generator("--check").returncode == 0


def test_check_exits_1_when_a_file_differs(tmp_path: Path) -> None:
    assert run_generator("--output", str(tmp_path)).returncode == 0
    (tmp_path / "ml-operations.json").write_text("{}\n")

    result = run_generator("--check", "--output", str(tmp_path))

    assert result.returncode == 1
    assert "ml-operations.json" in result.stdout


def test_exactly_the_four_dashboards_exist() -> None:
    assert sorted(p.name for p in DASHBOARDS_DIR.glob("*.json")) == sorted(EXPECTED_PANELS)


@pytest.mark.parametrize("name", EXPECTED_PANELS)
def test_each_file_round_trips_through_the_sdk(name: str) -> None:
    register_default_plugins()
    data = load(name)
    inputs = data.pop("__inputs")  # import-only metadata the SDK does not model

    dashboard = Dashboard.from_json(data)

    assert json.loads(json.dumps(dashboard, cls=JSONEncoder)) == data
    assert inputs


def test_uids_are_stable_and_unique() -> None:
    uids = {name: load(name)["uid"] for name in EXPECTED_PANELS}
    assert uids == EXPECTED_UIDS
    assert len(set(uids.values())) == len(uids)


@pytest.mark.parametrize("name", EXPECTED_PANELS)
def test_every_seed_panel_is_kept_and_every_panel_sits_in_a_row(name: str) -> None:
    sections = rows(name)
    titles = [title for section in sections.values() for title in section]

    assert sorted(set(titles) & set(EXPECTED_PANELS[name])) == sorted(EXPECTED_PANELS[name])
    assert len(titles) == len(set(titles))
    assert len(sections) >= 2
    for row, expected in ADDED_PANELS.get(name, {}).items():
        assert sections[row] == expected


@pytest.mark.parametrize("name", EXPECTED_PANELS)
def test_every_panel_fits_the_24_column_grid_without_overlap_or_holes(name: str) -> None:
    panels = load(name)["panels"]
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, (panel["title"], "overlaps", cells[(x, y)])
                cells[(x, y)] = panel["title"]
    for y in {panel["gridPos"]["y"] for panel in panels}:  # each line starts a full row
        assert all((x, y) in cells for x in range(24)), (name, "hole in the line at y", y)


def test_every_time_series_tooltip_shows_all_series() -> None:
    for name, panel in all_panels():
        if panel["type"] == "timeseries":
            assert panel["options"]["tooltip"]["mode"] == "multi", (name, panel["title"])


def test_table_columns_are_renamed_and_overridden_by_the_names_they_end_up_with() -> None:
    for _name, panel in all_panels():
        if panel["type"] != "table":
            continue
        (merge, organize) = panel["transformations"]
        assert merge["id"] == "merge"
        rename = organize["options"]["renameByName"]
        if len(panel["targets"]) == 1:  # Grafana calls a single query's column `Value`
            assert list(rename) == ["Value"], panel["title"]
        else:
            assert list(rename) == [f"Value #{t['refId']}" for t in panel["targets"]]
        for override in panel["fieldConfig"]["overrides"]:
            assert override["matcher"]["id"] == "byName", panel["title"]
            assert override["matcher"]["options"] in rename.values(), panel["title"]
    summary = next(p for _, p in all_panels() if p["title"] == "Endpoint Performance Summary Table")
    (override,) = summary["fieldConfig"]["overrides"]
    assert override["matcher"]["options"] == "p95 latency"
    assert override["properties"] == [{"id": "unit", "value": "s"}]


def test_counts_from_increase_show_no_fractions_and_empty_stats_show_0() -> None:
    for name, panel in all_panels():
        exprs = [t["expr"] for t in panel["targets"]]
        counts = panel["fieldConfig"]["defaults"]["unit"] == "short" and any(
            e.startswith("sum by") and "increase(" in e for e in exprs
        )
        if counts or panel["type"] == "stat":
            assert panel["fieldConfig"]["defaults"]["decimals"] == 0, (name, panel["title"])
        if panel["type"] == "stat":
            assert panel["fieldConfig"]["defaults"]["noValue"] == "0", (name, panel["title"])


def test_rare_events_use_a_window_that_fits_their_rate() -> None:
    panels = {(name, panel["title"]): panel for name, panel in all_panels()}
    for key in RARE_EVENT_PANELS:
        for target in panels[key]["targets"]:
            assert "$__rate_interval" not in target["expr"], key
            assert f"[{CONFIG.rare_event_window}]" in target["expr"], key
    training = panels[("ml-operations.json", "Training Job Duration (p95)")]
    assert "status" in training["targets"][0]["expr"].split("sum by (")[1].split(")")[0]
    summary = panels[("api-performance.json", "Endpoint Performance Summary Table")]
    assert all("[$__range]" in t["expr"] for t in summary["targets"])


def test_quota_panels_do_not_clip_at_100_percent_and_the_overview_shows_the_top_n() -> None:
    for name, panel in all_panels():
        if "maestro_tenant_quota_usage_ratio" in panel["targets"][0]["expr"]:
            assert "max" not in panel["fieldConfig"]["defaults"], (name, panel["title"])
    overview = next(p for n, p in all_panels() if p["title"] == "Tenant Quota Usage")
    assert overview["targets"][0]["expr"].startswith(f"topk({CONFIG.quota_top_n}, ")


def test_dashboards_ask_for_a_prometheus_data_source_on_ui_import() -> None:
    for name in EXPECTED_PANELS:
        (datasource_input,) = load(name)["__inputs"]
        assert datasource_input["type"] == "datasource", name
        assert datasource_input["pluginId"] == "prometheus", name


def test_every_query_is_scoped_by_the_job_selector() -> None:
    for query in load_panel_queries(DASHBOARDS_DIR):
        unscoped: list[str] = []

        def visit(node: object, unscoped: list[str] = unscoped) -> None:
            if isinstance(node, promql_parser.VectorSelector) and CONFIG.job_selector not in str(
                node
            ):
                unscoped.append(str(node))

        promql_parser.walk(promql_parser.parse(render_query(query.expr)), visit)
        assert not unscoped, (query.label, unscoped)


@pytest.mark.parametrize("name", EXPECTED_PANELS)
def test_dashboard_settings(name: str) -> None:
    dashboard = load(name)
    refresh_seconds = {"30s": 30, "45s": 45, "1m": 60}

    assert dashboard["editable"] is False
    assert 30 <= refresh_seconds[dashboard["refresh"]] <= 60
    assert dashboard["links"][0]["type"] == "dashboards"
    assert dashboard["links"][0]["tags"] == ["maestro"]
    assert "maestro" in dashboard["tags"]
    variable = next(v for v in dashboard["templating"]["list"] if v["name"] == "datasource")
    assert variable["type"] == "datasource"
    assert variable["query"] == "prometheus"
    assert variable["current"]["value"] == "Prometheus"


def test_every_panel_has_unit_description_and_datasource_variable() -> None:
    for name, panel in all_panels():
        where = f"{name}: {panel['title']}"
        assert panel.get("description"), where
        assert panel["fieldConfig"]["defaults"].get("unit"), where
        assert panel["datasource"]["uid"] == "${datasource}", where
        assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"]), where


def test_alert_thresholds_are_drawn() -> None:
    panels = {(name, panel["title"]): panel for name, panel in all_panels()}
    for key, value in THRESHOLD_PANELS.items():
        defaults = panels[key]["fieldConfig"]["defaults"]
        assert [step["value"] for step in defaults["thresholds"]["steps"]] == [None, value], key
        drawn = (
            defaults.get("custom", {}).get("thresholdsStyle", {}).get("mode") == "dashed"
            or defaults.get("custom", {}).get("cellOptions", {}).get("type") == "color-background"
        )
        assert drawn, key


def test_every_tenant_management_query_uses_the_tenant_variable() -> None:
    dashboard = load("tenant-management.json")
    tenant = next(v for v in dashboard["templating"]["list"] if v["name"] == "tenant")

    assert tenant["includeAll"] is True
    assert "label_values(" in tenant["query"]["query"]
    assert "tenant_id" in tenant["query"]["query"]
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):  # row headers have none
            assert 'tenant_id=~"$tenant"' in target["expr"], panel["title"]


def test_range_vectors_use_rate_interval_range_24h_or_the_rare_event_window() -> None:
    allowed = {"$__rate_interval", "$__range", "24h", CONFIG.rare_event_window}
    for query in load_panel_queries(DASHBOARDS_DIR):
        windows = set(re.findall(r"\[([^\]]+)\]", query.expr))
        assert windows <= allowed, query.label


def test_every_query_parses_and_names_only_contract_metrics_or_recording_rules(
    rule_groups: list[dict[str, Any]],
) -> None:
    allowed = stored_series_names() | recording_rule_names(rule_groups)
    queries = load_panel_queries(DASHBOARDS_DIR)

    assert len(queries) == sum(len(p["targets"]) for _, p in all_panels())
    for query in queries:
        names = metric_names(render_query(query.expr))
        assert names, query.label
        assert names <= allowed, (query.label, names - allowed)


def test_state_gauges_are_aggregated_with_max_never_sum() -> None:
    for query in load_panel_queries(DASHBOARDS_DIR):
        tree = promql_parser.parse(render_query(query.expr))
        wrong: list[str] = []

        def visit(node: object, wrong: list[str] = wrong) -> None:
            if (
                isinstance(node, promql_parser.AggregateExpr)
                and isinstance(node.expr, promql_parser.VectorSelector)
                and node.expr.name in STATE_GAUGES
                and str(node.op) != "max"
            ):
                wrong.append(f"{node.op} of {node.expr.name}")

        promql_parser.walk(tree, visit)
        assert not wrong, (query.label, wrong)
