"""The dashboards README's troubleshooting steps as one function returning a structured report.

`run_checks` answers, in order: is Prometheus reachable, is the `maestro-api` target up, is every
metric of the contract present, does every panel query of every dashboard return a series, and is
any metric's cardinality above a warning threshold. It never raises for a failed check: every
outcome is a `Finding`, so the CLI, an end-to-end test or a readiness script read the same report.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx

from maestro.monitoring.contract import METRICS, SCRAPE_JOB, sparse_series_names
from maestro.monitoring.dashboards import (
    DEFAULT_DASHBOARDS_DIR,
    Intervals,
    load_panel_queries,
    render_query,
)

DEFAULT_CARDINALITY_WARNING = 2000


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    check: str  # prometheus | target | metric | panel | cardinality
    subject: str
    status: Status
    detail: str


@dataclass
class CheckReport:
    prometheus_url: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is an error; cardinality warnings alone do not fail the check."""
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.WARNING]

    def of(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]


class _PrometheusError(Exception):
    pass


class _Prometheus:
    """The few HTTP API calls the checks need; errors come back as `_PrometheusError`."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise _PrometheusError(f"{type(exc).__name__}: {exc}") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise _PrometheusError(f"HTTP {response.status_code}, not JSON") from exc
        if body.get("status") != "success":
            raise _PrometheusError(body.get("error") or f"HTTP {response.status_code}")
        return body["data"]

    def build_info(self) -> dict[str, str]:
        return self._get("/api/v1/status/buildinfo")

    def targets(self) -> list[dict[str, Any]]:
        return self._get("/api/v1/targets", {"state": "active"})["activeTargets"]

    def instant(self, query: str) -> list[dict[str, Any]]:
        return self._get("/api/v1/query", {"query": query})["result"]

    def range(self, query: str, seconds: float, step: float) -> list[dict[str, Any]]:
        end = time.time()
        params = {"query": query, "start": str(end - seconds), "end": str(end), "step": str(step)}
        return self._get("/api/v1/query_range", params)["result"]


def _check_target(prom: _Prometheus, job: str) -> list[Finding]:
    targets = [t for t in prom.targets() if t.get("labels", {}).get("job") == job]
    if not targets:
        return [Finding("target", job, Status.ERROR, "no active scrape target with this job")]
    return [
        Finding(
            "target",
            f"{job} {target.get('scrapeUrl', '')}",
            Status.OK if target.get("health") == "up" else Status.ERROR,
            target.get("health", "unknown")
            + (f": {target['lastError']}" if target.get("lastError") else ""),
        )
        for target in targets
    ]


def _series_counts(prom: _Prometheus, job: str) -> dict[str, int]:
    result = prom.instant(f'count by (__name__) ({{__name__=~"maestro_.+", job="{job}"}})')
    return {row["metric"]["__name__"]: int(float(row["value"][1])) for row in result}


def _check_metrics(counts: dict[str, int], job: str) -> list[Finding]:
    findings = []
    for metric in METRICS:
        present = [name for name in metric.series_names if counts.get(name)]
        if present:
            status, detail = Status.OK, f"{sum(counts[name] for name in present)} series"
        elif metric.sparse:
            status, detail = Status.WARNING, "no series yet: no deployed model has a value"
        else:
            status = Status.ERROR
            detail = f"not scraped from job {job}: has the operation that records it happened?"
        findings.append(Finding("metric", metric.name, status, detail))
    return findings


def _check_cardinality(counts: dict[str, int], threshold: int) -> list[Finding]:
    return [
        Finding(
            "cardinality",
            name,
            Status.WARNING if count > threshold else Status.OK,
            f"{count} series" + (f" (above {threshold})" if count > threshold else ""),
        )
        for name, count in sorted(counts.items(), key=lambda item: -item[1])
    ]


def _only_sparse(expr: str) -> bool:
    """True when every metric the query selects is a sparse one (see `MetricSpec.sparse`)."""
    names = set(re.findall(r"\b(maestro_[a-z0-9_]+)", expr))
    return bool(names) and names <= sparse_series_names()


def _check_panels(prom: _Prometheus, dashboards_dir: Path, intervals: Intervals) -> list[Finding]:
    queries = load_panel_queries(dashboards_dir)
    if not queries:
        return [Finding("panel", str(dashboards_dir), Status.ERROR, "no dashboard queries found")]
    findings = []
    for query in queries:
        expr = render_query(query.expr, intervals)
        try:
            if query.instant:
                result = prom.instant(expr)
            else:
                result = prom.range(expr, intervals.seconds("range"), intervals.seconds("interval"))
        except _PrometheusError as exc:
            findings.append(Finding("panel", query.label, Status.ERROR, f"query failed: {exc}"))
            continue
        if result:
            status, detail = Status.OK, f"{len(result)} series"
        elif _only_sparse(expr):  # model health: empty until a deployed model has a drift run
            status, detail = Status.WARNING, f"no data yet (model health metrics): {expr}"
        else:
            status, detail = Status.ERROR, f"no data: {expr}"
        findings.append(Finding("panel", query.label, status, detail))
    return findings


def run_checks(
    prometheus_url: str,
    dashboards_dir: Path = DEFAULT_DASHBOARDS_DIR,
    *,
    intervals: Intervals = Intervals(),
    job: str = SCRAPE_JOB,
    cardinality_warning: int = DEFAULT_CARDINALITY_WARNING,
    timeout: float = 10.0,
) -> CheckReport:
    """Run every check against the Prometheus at `prometheus_url` and return the findings."""
    report = CheckReport(prometheus_url)
    with httpx.Client(base_url=prometheus_url.rstrip("/"), timeout=timeout) as client:
        prom = _Prometheus(client)
        try:
            version = prom.build_info().get("version", "unknown")
        except _PrometheusError as exc:
            report.findings.append(
                Finding("prometheus", prometheus_url, Status.ERROR, f"unreachable: {exc}")
            )
            return report
        report.findings.append(
            Finding("prometheus", prometheus_url, Status.OK, f"reachable, version {version}")
        )
        try:
            report.findings += _check_target(prom, job)
            counts = _series_counts(prom, job)
            report.findings += _check_metrics(counts, job)
            report.findings += _check_panels(prom, dashboards_dir, intervals)
            report.findings += _check_cardinality(counts, cardinality_warning)
        except _PrometheusError as exc:
            report.findings.append(
                Finding("prometheus", prometheus_url, Status.ERROR, f"API call failed: {exc}")
            )
    return report
