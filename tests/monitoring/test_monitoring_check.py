"""`maestro monitoring check` against a real Prometheus process.

With nothing to scrape it must report the target down and exit 1. With an exporter serving every
contract metric (a prometheus_client registry standing in for `maestro serve` until the platform's
end-to-end test exists) every panel query of every dashboard must return data and it must exit 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from typer.testing import CliRunner

from maestro.monitoring.check import CheckReport, Status, run_checks
from maestro.monitoring.cli import app
from maestro.monitoring.contract import METRICS
from maestro.monitoring.dashboards import Intervals, load_panel_queries, render_query
from tests.monitoring.support import RULES_DIR, RunningPrometheus, free_port, wait_for

LABEL_VALUES = {
    "method": "GET",
    "endpoint": "/api/v1/models",
    "status": "200",
    "tenant_id": "acme",
    "error_type": "not_found",
    "operation": "create",
    "format": "markdown",
    "algorithm": "random_forest",
    "resource_type": "models",
    "version": "0.1.0",
}
STATUS_VALUES = {
    "maestro_ml_experiments_total": "started",
    "maestro_ml_model_operations_total": "success",
    "maestro_ml_training_duration_seconds": "succeeded",
    "maestro_feature_discovery_operations_total": "success",
    "maestro_model_card_generations_total": "success",
}
FAST = Intervals(rate_interval="1m", interval="5s", range="5m")


@pytest.fixture
def contract_exporter() -> Iterator[str]:
    """A real /metrics endpoint with one series of every contract metric."""
    registry = CollectorRegistry()
    for spec in METRICS:
        kind = {"counter": Counter, "gauge": Gauge, "histogram": Histogram}[spec.kind]
        name = spec.name.removesuffix("_total") if spec.kind == "counter" else spec.name
        values = {**LABEL_VALUES, "status": STATUS_VALUES.get(spec.name, "200")}
        child = kind(name, spec.help, spec.labels, registry=registry).labels(
            *(values[label] for label in spec.labels)
        )
        if spec.kind == "counter":
            child.inc(3)
        elif spec.kind == "gauge":
            child.set(0.9)
        else:
            child.observe(0.2)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    yield f"127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)


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
    assert {f.status for f in report.of("metric")} == {Status.ERROR}
    assert {f.status for f in report.of("panel")} == {Status.ERROR}
    result = CliRunner().invoke(app, ["check", "--prometheus", prometheus.url])
    assert result.exit_code == 1
    assert "down" in result.output


@pytest.mark.slow
def test_every_panel_has_data_when_every_contract_metric_is_scraped(
    prometheus_factory: Callable[..., RunningPrometheus], contract_exporter: str
) -> None:
    prometheus = prometheus_factory(
        [contract_exporter], rule_files=sorted(RULES_DIR.glob("*.yml")), alert_for="0s"
    )

    report = check_until(prometheus, lambda r: r.ok)
    quota_alert = wait_for(
        lambda: [
            alert
            for alert in httpx.get(f"{prometheus.url}/api/v1/alerts").json()["data"]["alerts"]
            if alert["labels"]["alertname"] == "MaestroTenantQuotaWarning"
        ],
        timeout=60,
        what="the quota alert (the exporter reports 90% usage)",
    )

    assert quota_alert[0]["state"] in {"pending", "firing"}
    assert len(report.of("panel")) == len(load_panel_queries())
    assert len(report.of("metric")) == len(METRICS)
    result = CliRunner().invoke(
        app,
        ["check", "--prometheus", prometheus.url, "--interval", "5s", "--range", "5m", "-v"],
    )
    assert result.exit_code == 0, result.output
