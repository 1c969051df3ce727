"""Prometheus configuration, recording and alerting rules, checked by the real promtool."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from maestro.monitoring.contract import stored_series_names
from tests.monitoring.support import MONITORING, REPO_ROOT, RULES_DIR, load_module, metric_names

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
RULE_TESTS = sorted((MONITORING / "prometheus" / "tests").glob("*.yml"))
# The seed's expressions, scoped by the job selector like every other query.
SEED_RECORDING_RULES = {
    "maestro:http_request_rate:5m": (
        'sum by (endpoint) (rate(maestro_http_requests_total{job="maestro-api"}[5m]))'
    ),
    "maestro:http_request_latency_p95:5m": (
        "histogram_quantile(0.95, sum(rate(maestro_http_request_duration_seconds_bucket"
        '{job="maestro-api"}[5m])) by (le, endpoint))'
    ),
}
REQUIRED_ALERTS = {
    "MaestroTenantQuotaWarning",
    "MaestroTenantQuotaExhausted",
    "MaestroHighErrorRate",
    "MaestroHighErrorRatio",
    "MaestroApiReplicasDown",
    "MaestroApiDown",
    "MaestroTrainingFailureRatio",
    "MaestroDiscoveryFailureRatio",
    "MaestroJobQueuedTooLong",
    "MaestroJobMetricsOutboxGrowing",
    "MaestroModelDrift",
    "MaestroModelAccuracyDrop",
}
RULES_GENERATOR = MONITORING / "generate_rules.py"


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


def test_committed_rule_files_equal_the_generator_output() -> None:
    result = subprocess.run([sys.executable, str(RULES_GENERATOR), "--check"], capture_output=True)
    assert result.returncode == 0, result.stdout


def test_rules_check_exits_1_when_a_rule_file_differs(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(RULES_GENERATOR), "--output", str(tmp_path)], check=True)
    (tmp_path / "maestro-alerts.yml").write_text("groups: []\n")

    result = subprocess.run(
        [sys.executable, str(RULES_GENERATOR), "--check", "--output", str(tmp_path)],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert "maestro-alerts.yml" in result.stdout


def test_every_alert_has_summary_description_severity_and_an_existing_runbook(
    rule_groups: list[dict[str, Any]],
) -> None:
    for name, alert in rules(rule_groups, "alert").items():
        annotations = alert["annotations"]
        assert annotations.get("summary") and annotations.get("description"), name
        assert alert["labels"]["severity"] in {"warning", "critical"}, name
        assert annotations["runbook_url"] == f"docs/runbooks/{name}.md", name
        runbook = REPO_ROOT / annotations["runbook_url"]
        assert runbook.is_file(), runbook
        text = runbook.read_text()
        assert text.startswith(f"# {name}\n"), runbook
        for section in ("## What it means", "## How to confirm", "## What to do"):
            assert section in text, (runbook, section)


def test_every_runbook_belongs_to_an_alert(rule_groups: list[dict[str, Any]]) -> None:
    runbooks = {p.stem for p in (REPO_ROOT / "docs" / "runbooks").glob("*.md")}
    assert runbooks == set(rules(rule_groups, "alert"))


def test_every_series_selector_is_scoped_by_the_job(rule_groups: list[dict[str, Any]]) -> None:
    recorded = set(rules(rule_groups, "record"))
    for group in rule_groups:
        for rule in group["rules"]:
            unscoped: list[str] = []

            def visit(node: object, unscoped: list[str] = unscoped) -> None:
                if (
                    isinstance(node, promql_parser.VectorSelector)
                    and node.name not in recorded
                    and 'job="maestro-api"' not in str(node)
                ):
                    unscoped.append(str(node))

            promql_parser.walk(promql_parser.parse(rule["expr"]), visit)
            assert not unscoped, (rule.get("record") or rule["alert"], unscoped)


def test_one_config_flows_into_every_rule(tmp_path: Path) -> None:
    sys.path.insert(0, str(MONITORING))
    from dashgen.config import Config

    generator = load_module(RULES_GENERATOR)
    config = Config(
        job_selector='job="ml-api"',
        extra_selector='cluster="prod"',
        quota_warning_ratio=0.7,
        availability_target=0.995,
        drift_score=0.3,
        runbook_url_template="https://git.example.com/maestro/-/blob/main/docs/runbooks/{alert}.md",
    )
    texts = generator.render(config)
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    alerts = {
        rule["alert"]: rule
        for name in texts
        for group in yaml.safe_load(texts[name])["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }

    assert promtool("check", "rules", *sorted(tmp_path.glob("*.yml"))).returncode == 0
    assert "> 0.7 < 1" in alerts["MaestroTenantQuotaWarning"]["expr"]
    assert "(14.4 * 0.005)" in alerts["MaestroAvailabilitySLOFastBurn"]["expr"]
    assert alerts["MaestroModelDrift"]["expr"].endswith("> 0.3")
    assert alerts["MaestroApiDown"]["annotations"]["runbook_url"].startswith("https://git.")
    everything = "".join(texts.values())
    assert 'job="maestro-api"' not in everything
    assert everything.count('job="ml-api", cluster="prod"') > 40


def test_latency_slo_excludes_exactly_the_transfer_routes() -> None:
    """Routes that take an UploadFile or stream their response are transfers (issue: SLO scope)."""
    from fastapi.responses import StreamingResponse
    from fastapi.routing import APIRoute
    from starlette.datastructures import UploadFile

    from maestro.api.app import ROUTERS

    sys.path.insert(0, str(MONITORING))
    from dashgen.config import CONFIG

    transfers = set()
    for prefix, router in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            uploads = any(
                isinstance(p.field_info.annotation, type)
                and issubclass(p.field_info.annotation, UploadFile)
                for p in route.dependant.body_params
            )
            if uploads or route.response_class is StreamingResponse:
                transfers |= {(method, prefix + route.path) for method in route.methods}
    assert transfers == set(CONFIG.latency_slo_excluded)


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
