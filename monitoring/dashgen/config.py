"""The one configuration of the monitoring bundle, in the style of kubernetes-mixin's `_config`.

Selectors, SLO targets and alert thresholds are defined here once. The dashboards, the Prometheus
rule files, the PrometheusRule manifest and the tests all read them, so a value changed here
changes every file that shows or pages on it (`python monitoring/generate_dashboards.py` and
`python monitoring/generate_rules.py` rewrite them; the tests fail while they are stale).
The defaults produce the committed files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    # Selectors -----------------------------------------------------------------------------
    #: Every query is scoped by this, so a shared Prometheus does not count other jobs' series.
    job_selector: str = 'job="maestro-api"'
    #: Extra matchers for a multi-cluster Prometheus, e.g. 'cluster="prod", namespace="ml"'.
    extra_selector: str = ""

    # SLOs (30-day windows, multi-window multi-burn-rate alerts) -------------------------------
    availability_target: float = 0.999
    latency_target: float = 0.99
    #: A request is fast when it finishes within this (must be a histogram bucket bound).
    latency_threshold_seconds: float = 0.5
    #: Requests whose duration is the size of the bytes moved, outside the latency SLO the way
    #: kubernetes-mixin leaves out long-running requests: (method, endpoint template).
    latency_slo_excluded: tuple[tuple[str, str], ...] = (
        ("POST", "/api/v1/datasets"),
        ("POST", "/api/v1/models/{name}/versions"),
        ("GET", "/api/v1/models/{name}/versions/{version}/artifact"),
    )

    # Alert thresholds ----------------------------------------------------------------------
    quota_warning_ratio: float = 0.8
    #: Quotas a tenant sits at 100% of in normal use (a flow, not a stock): no quota alerts.
    quota_flow_resources: tuple[str, ...] = ("concurrent_training_jobs",)
    server_error_rate_per_second: float = 0.1
    server_error_ratio: float = 0.05
    #: Share of API replicas down (percent) before MaestroApiReplicasDown, as TargetDown.
    replicas_down_percent: float = 10
    job_failure_ratio: float = 0.5
    oldest_queued_job_seconds: float = 900
    outbox_backlog_rows: float = 1000
    drift_score: float = 0.5
    accuracy_drop: float = 0.1

    # Dashboards -----------------------------------------------------------------------------
    #: Quota panels on the overview show only the N highest ratios.
    quota_top_n: int = 10
    #: Window of rare-event panels (model sizes, training, discovery): a few events an hour.
    rare_event_window: str = "1h"

    # Runbooks -------------------------------------------------------------------------------
    #: `runbook_url` of every alert; `{alert}` is the alert name. Point it at your repository's
    #: web view (e.g. https://git.example.com/maestro/blob/main/docs/runbooks/{alert}.md).
    runbook_url_template: str = "docs/runbooks/{alert}.md"

    @property
    def selector(self) -> str:
        """Matchers every series selector carries, without braces."""
        return ", ".join(s for s in (self.job_selector, self.extra_selector) if s)

    def select(self, metric: str, *matchers: str) -> str:
        """`metric{<selector>, matchers...}`."""
        return f"{metric}{{{', '.join((self.selector, *matchers))}}}"

    def runbook_url(self, alert: str) -> str:
        return self.runbook_url_template.format(alert=alert)

    def interactive(self, metric: str, window: str, *matchers: str) -> str:
        """`rate(metric[window])` over requests inside the latency SLO (transfers left out).

        Endpoints with both a transfer and an interactive method (POST upload, GET list) keep
        their other methods through the second selector; the two select disjoint series.
        """
        methods: dict[str, list[str]] = {}
        for method, endpoint in self.latency_slo_excluded:
            methods.setdefault(endpoint, []).append(method)
        everything = _alternation(methods)
        outside = self.select(metric, *matchers, 'endpoint!~"' + everything + '"')
        parts = [f"rate({outside}[{window}])"]
        by_methods: dict[tuple[str, ...], list[str]] = {}
        for endpoint, verbs in methods.items():
            by_methods.setdefault(tuple(sorted(verbs)), []).append(endpoint)
        for verbs, endpoints in sorted(by_methods.items()):
            selector = self.select(
                metric,
                *matchers,
                'endpoint=~"' + _alternation(endpoints) + '"',
                'method!~"' + "|".join(verbs) + '"',
            )
            parts.append(f"rate({selector}[{window}])")
        return "(" + " or ".join(parts) + ")"


def _alternation(endpoints: object) -> str:
    """A PromQL regex matching exactly these route templates (braces and dots escaped)."""
    return "|".join(re.sub(r"([{}.])", r"\\\\\1", str(e)) for e in endpoints)


CONFIG = Config()
