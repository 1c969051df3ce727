"""`maestro monitoring check` against a real Prometheus process.

With nothing to scrape it must report the target down and exit 1. The green path, every panel
with data from real traffic, is `test_end_to_end.py`.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from maestro.monitoring.check import CheckReport, Status, run_checks
from maestro.monitoring.cli import app
from maestro.monitoring.contract import METRICS
from maestro.monitoring.dashboards import Intervals, load_panel_queries, render_query
from tests.monitoring.support import RunningPrometheus, free_port, wait_for
from tests.support.processes import MAESTRO

FAST = Intervals(rate_interval="1m", interval="5s", range="5m")


def check_until(prometheus: RunningPrometheus, done: Callable[[CheckReport], bool]) -> CheckReport:
    """Re-run the checks until `done` holds (scrapes take a few seconds to accumulate)."""
    deadline = time.monotonic() + 60
    while not done(report := run_checks(prometheus.url, intervals=FAST)):
        if time.monotonic() > deadline:
            pytest.fail(f"check report never satisfied the test; errors: {report.errors}")
        time.sleep(0.5)
    return report


def test_render_query_substitutes_grafana_and_dashboard_variables() -> None:
    expr = 'sum(rate(x{tenant_id=~"$tenant"}[$__rate_interval])) + increase(y[${__range}])'

    rendered = render_query(expr, Intervals(rate_interval="2m", range="6h"))

    assert rendered == 'sum(rate(x{tenant_id=~".*"}[2m])) + increase(y[6h])'


def test_panel_queries_are_read_from_every_dashboard() -> None:
    queries = load_panel_queries()

    assert {q.dashboard for q in queries} == {
        "maestro-ml-overview.json",
        "ml-operations.json",
        "tenant-management.json",
        "api-performance.json",
    }
    assert any(q.instant for q in queries) and any(not q.instant for q in queries)


def test_unreachable_prometheus_is_one_error() -> None:
    report = run_checks(f"http://127.0.0.1:{free_port()}", timeout=2)

    assert not report.ok
    assert [(f.check, f.status) for f in report.findings] == [("prometheus", Status.ERROR)]


def test_nothing_to_scrape_reports_target_down_and_exits_1(
    prometheus_factory: Callable[..., RunningPrometheus],
) -> None:
    prometheus = prometheus_factory([f"127.0.0.1:{free_port()}"], rule_files=[])

    report = check_until(prometheus, lambda r: any("down" in f.detail for f in r.of("target")))

    assert not report.ok
    assert report.of("prometheus")[0].status is Status.OK
    assert [f.status for f in report.of("target")] == [Status.ERROR]
    sparse = {m.name for m in METRICS if m.sparse}
    for finding in report.of("metric"):  # model health is a warning until a drift run exists
        assert finding.status is (Status.WARNING if finding.subject in sparse else Status.ERROR)
    health = {f.subject for f in report.of("panel") if f.status is Status.WARNING}
    assert {subject.split(": ")[1] for subject in health} == {
        "Model Drift Score [A]",
        "Drifted Features [A]",
        "Live vs Training Accuracy [A]",
        "Live vs Training Accuracy [B]",
        "Prediction Volume [A]",
    }
    assert {f.status for f in report.of("panel") if f.subject not in health} == {Status.ERROR}
    result = CliRunner().invoke(app, ["check", "--prometheus", prometheus.url])
    assert result.exit_code == 1
    assert "down" in result.output


def test_monitoring_prometheus_scrapes_a_local_serve_with_the_shipped_rules(
    server, tmp_path: Path
) -> None:
    port = free_port()
    target = server.url.removeprefix("http://")
    process = subprocess.Popen(
        [
            *MAESTRO,
            "monitoring",
            "prometheus",
            "--target",
            target,
            "--listen",
            f"127.0.0.1:{port}",
            "--workdir",
            str(tmp_path / "prometheus"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def target_up() -> bool:
            response = httpx.get(f"{url}/api/v1/targets")
            if response.status_code != 200:  # 503 while Prometheus is still starting
                return False
            targets = response.json()["data"]["activeTargets"]
            return any(t["health"] == "up" and t["labels"]["job"] == "maestro-api" for t in targets)

        wait_for(target_up, timeout=60, what="the local serve to be scraped")
        groups = httpx.get(f"{url}/api/v1/rules").json()["data"]["groups"]
        assert {g["name"] for g in groups} >= {"maestro_ml", "maestro_slo", "maestro_alerts"}
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert f"Prometheus: {url}" in output
