"""Prometheus configuration, recording and alerting rules, checked by the real promtool."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from maestro.monitoring.contract import stored_series_names
from tests.monitoring.support import MONITORING, RULES_DIR, metric_names

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
RULE_TESTS = sorted((MONITORING / "prometheus" / "tests").glob("*.yml"))
SEED_RECORDING_RULES = {
    "maestro:http_request_rate:5m": "sum by (endpoint) (rate(maestro_http_requests_total[5m]))",
    "maestro:http_request_latency_p95:5m": (
        "histogram_quantile(0.95, sum(rate(maestro_http_request_duration_seconds_bucket[5m]))"
        " by (le, endpoint))"
    ),
}
REQUIRED_ALERTS = {"MaestroTenantQuotaWarning", "MaestroHighErrorRate", "MaestroApiDown"}


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    if not Path(PROMTOOL).exists():
        pytest.skip("promtool not installed")
    return subprocess.run([PROMTOOL, *map(str, args)], capture_output=True, text=True)


def rules(rule_groups: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {rule[kind]: rule for group in rule_groups for rule in group["rules"] if kind in rule}


def test_promtool_check_rules_passes() -> None:
    result = promtool("check", "rules", *sorted(RULES_DIR.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules_passes() -> None:
    result = promtool("test", "rules", *RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_config_passes_with_the_rules() -> None:
    result = promtool("check", "config", MONITORING / "prometheus" / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout


def test_prometheus_config_scrapes_maestro_api_every_15s() -> None:
    config = yaml.safe_load((MONITORING / "prometheus" / "prometheus.yml").read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "maestro-api")

    assert config["global"]["scrape_interval"] == "15s"
    assert job.get("metrics_path", "/metrics") == "/metrics"
    assert config["alerting"]["alertmanagers"]


def test_seed_recording_rules_keep_their_names_and_expressions(
    rule_groups: list[dict[str, Any]],
) -> None:
    recorded = rules(rule_groups, "record")
    for name, expr in SEED_RECORDING_RULES.items():
        assert recorded[name]["expr"].strip() == expr


def test_recording_rule_names_follow_level_metric_operations(
    rule_groups: list[dict[str, Any]],
) -> None:
    pattern = re.compile(r"^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$")
    assert [n for n in rules(rule_groups, "record") if not pattern.match(n)] == []


def test_alerts_include_the_seed_ones_and_slo_burn_rates(
    rule_groups: list[dict[str, Any]],
) -> None:
    alerts = rules(rule_groups, "alert")

    assert set(alerts) >= REQUIRED_ALERTS
    assert {a["labels"].get("slo") for a in alerts.values()} >= {"availability", "latency"}
    assert all(a["labels"]["severity"] in {"warning", "critical"} for a in alerts.values())


def test_rule_expressions_name_only_contract_metrics_rules_or_up(
    rule_groups: list[dict[str, Any]],
) -> None:
    allowed = stored_series_names() | set(rules(rule_groups, "record")) | {"up"}
    for group in rule_groups:
        for rule in group["rules"]:
            names = metric_names(rule["expr"])
            assert names <= allowed, (rule.get("record") or rule["alert"], names - allowed)


def test_rule_tests_cover_every_recording_rule_and_every_alert_both_ways(
    rule_groups: list[dict[str, Any]],
) -> None:
    tested_exprs: set[str] = set()
    firing: set[str] = set()
    silent: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            tested_exprs |= {t["expr"] for t in case.get("promql_expr_test", [])}
            for test in case.get("alert_rule_test", []):
                (firing if test.get("exp_alerts") else silent).add(test["alertname"])

    alerts = set(rules(rule_groups, "alert"))
    assert set(rules(rule_groups, "record")) <= tested_exprs
    assert alerts <= firing, alerts - firing
    assert alerts <= silent, alerts - silent
