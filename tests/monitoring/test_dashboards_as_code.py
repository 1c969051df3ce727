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

DASHBOARDS_DIR = MONITORING / "grafana" / "dashboards"

# Copied letter for letter from issue 5 / the seed README.
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
THRESHOLD_PANELS = {
    ("maestro-ml-overview.json", "Tenant Quota Usage"): 0.8,
    ("tenant-management.json", "Quota Usage by Resource Type"): 0.8,
    ("tenant-management.json", "Tenant Resource Usage Table"): 0.8,
    ("api-performance.json", "Error Rate by Endpoint"): 0.1,
}


def load(name: str) -> dict[str, Any]:
    return json.loads((DASHBOARDS_DIR / name).read_text())


def all_panels() -> list[tuple[str, dict[str, Any]]]:
    return [(name, panel) for name in EXPECTED_PANELS for panel in load(name)["panels"]]


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

    dashboard = Dashboard.from_json(data)

    assert json.loads(json.dumps(dashboard, cls=JSONEncoder)) == data


def test_uids_are_stable_and_unique() -> None:
    uids = {name: load(name)["uid"] for name in EXPECTED_PANELS}
    assert uids == EXPECTED_UIDS
    assert len(set(uids.values())) == len(uids)


@pytest.mark.parametrize("name", EXPECTED_PANELS)
def test_panel_titles_are_exactly_the_seed_ones(name: str) -> None:
    assert [panel["title"] for panel in load(name)["panels"]] == EXPECTED_PANELS[name]


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
        for target in panel["targets"]:
            assert 'tenant_id=~"$tenant"' in target["expr"], panel["title"]


def test_range_vectors_use_rate_interval_range_or_24h() -> None:
    for query in load_panel_queries(DASHBOARDS_DIR):
        windows = set(re.findall(r"\[([^\]]+)\]", query.expr))
        assert windows <= {"$__rate_interval", "$__range", "24h"}, query.label


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
