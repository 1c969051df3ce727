"""Prometheus recording and alerting rules, built from the one `Config`.

Every alert carries `severity`, `summary`, `description` and a `runbook_url` to
`docs/runbooks/<AlertName>.md`. Burn-rate thresholds follow the Google SRE workbook: a fast burn
pages (2% of a 30-day budget in 1 h, or 5% in 6 h), a slow burn opens a ticket (10% in 3 d).
"""

from __future__ import annotations

from typing import Any

from .config import CONFIG, Config

Rule = dict[str, Any]
FIVE_XX = 'status=~"5.."'
FAILED = 'status="failed"'  # training jobs
FAILURE = 'status="failure"'  # feature discovery stages
SLO_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
#: (long window, short window, burn rate): the fast pair pages, the slow pair opens a ticket.
FAST_BURN = (("1h", "5m", 14.4), ("6h", "30m", 6))
SLOW_BURN = (("1d", "2h", 3), ("3d", "6h", 1))


def _fmt(value: float) -> str:
    """Shortest exact text for a threshold: 0.8, 0.001, 900."""
    return f"{value:g}" if abs(value) >= 1e-4 else repr(value)


def _alert(
    config: Config,
    name: str,
    expr: str,
    duration: str,
    severity: str,
    summary: str,
    description: str,
    *,
    labels: dict[str, str] | None = None,
    dashboard: str | None = None,
) -> Rule:
    annotations = {"summary": summary, "description": description}
    if dashboard:
        annotations["dashboard"] = dashboard
    annotations["runbook_url"] = config.runbook_url(name)
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity, **(labels or {})},
        "annotations": annotations,
    }


def recording_groups(config: Config = CONFIG) -> list[dict[str, Any]]:
    c = config
    requests = "maestro_http_requests_total"
    duration = "maestro_http_request_duration_seconds"
    le = f'le="{_fmt(c.latency_threshold_seconds)}"'
    server_errors = c.select(requests, FIVE_XX)
    ml = [
        {
            "record": "maestro:http_request_rate:5m",
            "expr": f"sum by (endpoint) (rate({c.select(requests)}[5m]))",
        },
        {
            "record": "maestro:http_request_latency_p95:5m",
            "expr": f"histogram_quantile(0.95, sum(rate({c.select(duration + '_bucket')}[5m]))"
            " by (le, endpoint))",
        },
        {
            "record": "job:maestro_http_requests:rate5m",
            "expr": f"sum by (job) (rate({c.select(requests)}[5m]))",
        },
        {
            "record": "endpoint:maestro_http_server_errors:rate5m",
            "expr": f"sum by (endpoint) (rate({server_errors}[5m]))",
        },
        {
            "record": "tenant_resource:maestro_tenant_quota_usage_ratio:max",
            "expr": "max by (tenant_id, resource_type) "
            f"({c.select('maestro_tenant_quota_usage_ratio')})",
        },
    ]
    slo: list[Rule] = []
    for window in SLO_WINDOWS:
        errors = server_errors
        slo.append(
            {
                "record": f"job:maestro_http_request_errors:ratio_rate{window}",
                "expr": "(\n"
                f"  sum by (job) (rate({errors}[{window}]))\n"
                f"  or sum by (job) (rate({c.select(requests)}[{window}])) * 0\n"
                ")\n"
                f"/ sum by (job) (rate({c.select(requests)}[{window}]))\n",
            }
        )
    for window in SLO_WINDOWS:
        slo.append(
            {
                "record": f"job:maestro_http_request_slow:ratio_rate{window}",
                "expr": "1 - (\n"
                f"  sum by (job) {c.interactive(duration + '_bucket', window, le)}\n"
                f"  / sum by (job) {c.interactive(duration + '_count', window)}\n"
                ")\n",
            }
        )
    return [
        {"name": "maestro_ml", "interval": "30s", "rules": ml},
        {"name": "maestro_slo", "interval": "30s", "rules": slo},
    ]


def _burn(record: str, pairs: tuple[tuple[str, str, float], ...], budget: float) -> str:
    clauses = [
        f"(\n  {record}{long} > ({_fmt(rate)} * {_fmt(budget)})\n"
        f"  and {record}{short} > ({_fmt(rate)} * {_fmt(budget)})\n)"
        for long, short, rate in pairs
    ]
    return "\nor\n".join(clauses) + "\n"


def _api_alerts(c: Config) -> list[Rule]:
    quota = "tenant_resource:maestro_tenant_quota_usage_ratio:max"
    stock = f'resource_type!~"{"|".join(c.quota_flow_resources)}"'
    warn = _fmt(c.quota_warning_ratio)
    return [
        _alert(
            c,
            "MaestroTenantQuotaWarning",
            f"{quota}{{{stock}}} > {warn} < 1",
            "5m",
            "warning",
            "Tenant {{ $labels.tenant_id }} uses {{ $value | humanizePercentage }} of its "
            "{{ $labels.resource_type }} quota",
            "Raise the quota with PATCH /api/v1/tenants/{{ $labels.tenant_id }} or ask the "
            "tenant to clean up.",
            dashboard="maestro-tenant-management",
        ),
        _alert(
            c,
            "MaestroTenantQuotaExhausted",
            f"{quota}{{{stock}}} >= 1",
            "5m",
            "warning",
            "Tenant {{ $labels.tenant_id }} has used all of its {{ $labels.resource_type }} "
            "quota ({{ $value | humanizePercentage }})",
            "Creating more {{ $labels.resource_type }} fails with quota_exceeded until the "
            "quota is raised or the tenant frees some.",
            dashboard="maestro-tenant-management",
        ),
        _alert(
            c,
            "MaestroHighErrorRate",
            f"endpoint:maestro_http_server_errors:rate5m > {_fmt(c.server_error_rate_per_second)}",
            "5m",
            "warning",
            '{{ $labels.endpoint }} returns {{ printf "%.2f" $value }} server errors/s '
            f"(threshold {_fmt(c.server_error_rate_per_second)})",
            "5xx responses (internal_error and other server-side failures); client errors "
            "are on the API Error Rate panel, not paged on.",
            dashboard="maestro-api-performance",
        ),
        _alert(
            c,
            "MaestroHighErrorRatio",
            f"job:maestro_http_request_errors:ratio_rate5m > {_fmt(c.server_error_ratio)}",
            "5m",
            "warning",
            "{{ $value | humanizePercentage }} of {{ $labels.job }} requests fail with a 5xx "
            f"(threshold {c.server_error_ratio:.0%})",
            "The share of server errors, so the threshold scales with traffic.",
            dashboard="maestro-api-performance",
        ),
        _alert(
            c,
            "MaestroApiReplicasDown",
            f"100 * (count by (job) ({c.select('up')} == 0) / count by (job) ({c.select('up')}))"
            f" > {_fmt(c.replicas_down_percent)}",
            "10m",
            "warning",
            '{{ printf "%.0f" $value }}% of the {{ $labels.job }} replicas are down',
            "The other replicas still serve; find out why these cannot be scraped.",
        ),
        _alert(
            c,
            "MaestroApiDown",
            f"sum by (job) ({c.select('up')}) == 0 or absent({c.select('up')})",
            "1m",
            "critical",
            "No {{ $labels.job }} replica is up, or Prometheus has no such target",
            "The API is unreachable for every tenant. Check the API process, GET /healthz and "
            "/readyz, and Status > Targets in Prometheus.",
        ),
    ]


def _slo_alerts(c: Config) -> list[Rule]:
    availability = 1 - c.availability_target
    latency = 1 - c.latency_target
    threshold = _fmt(c.latency_threshold_seconds)
    errors = "job:maestro_http_request_errors:ratio_rate"
    slow = "job:maestro_http_request_slow:ratio_rate"
    return [
        _alert(
            c,
            "MaestroAvailabilitySLOFastBurn",
            _burn(errors, FAST_BURN, availability),
            "2m",
            "critical",
            f"5xx responses burn the {c.availability_target:.1%} availability error budget fast",
            "At this rate the 30-day error budget is gone within days. Look at internal_error "
            "responses.",
            labels={"slo": "availability"},
        ),
        _alert(
            c,
            "MaestroAvailabilitySLOSlowBurn",
            _burn(errors, SLOW_BURN, availability),
            "15m",
            "warning",
            f"5xx responses burn the {c.availability_target:.1%} availability error budget "
            "steadily",
            "The 30-day error budget will be exhausted before the window ends.",
            labels={"slo": "availability"},
        ),
        _alert(
            c,
            "MaestroLatencySLOFastBurn",
            _burn(slow, FAST_BURN, latency),
            "2m",
            "critical",
            f"Interactive requests slower than {threshold} s burn the {c.latency_target:.0%} "
            "latency budget fast",
            "Transfers (artifact downloads, multipart uploads) are outside the SLO. See HTTP "
            "Request Latency and the Endpoint Performance Summary Table.",
            labels={"slo": "latency"},
        ),
        _alert(
            c,
            "MaestroLatencySLOSlowBurn",
            _burn(slow, SLOW_BURN, latency),
            "15m",
            "warning",
            f"Interactive requests slower than {threshold} s burn the {c.latency_target:.0%} "
            "latency budget steadily",
            "The 30-day latency budget will be exhausted before the window ends.",
            labels={"slo": "latency"},
        ),
    ]


def _job_alerts(c: Config) -> list[Rule]:
    training = "maestro_ml_training_duration_seconds_count"
    discovery = "maestro_feature_discovery_operations_total"
    ratio = _fmt(c.job_failure_ratio)
    return [
        _alert(
            c,
            "MaestroTrainingFailureRatio",
            f"sum(rate({c.select(training, FAILED)}[1h]))\n"
            f"/ sum(rate({c.select(training)}[1h]))\n> {ratio}\n",
            "15m",
            "warning",
            "{{ $value | humanizePercentage }} of training jobs failed in the last hour",
            "Look at the failed jobs' error (GET /api/v1/training/jobs/{id}): a bad dataset of "
            "one tenant, or a worker problem for all.",
            dashboard="maestro-ml-operations",
        ),
        _alert(
            c,
            "MaestroDiscoveryFailureRatio",
            f"sum(rate({c.select(discovery, FAILURE)}[1h]))\n"
            f"/ sum(rate({c.select(discovery)}[1h]))\n> {ratio}\n",
            "15m",
            "warning",
            "{{ $value | humanizePercentage }} of feature discovery stages failed in the last hour",
            "Look at the failed discovery jobs' error; check worker memory and dataset sizes.",
            dashboard="maestro-ml-operations",
        ),
        _alert(
            c,
            "MaestroJobQueuedTooLong",
            f"max by (kind) ({c.select('maestro_job_oldest_queued_seconds')})"
            f" > {_fmt(c.oldest_queued_job_seconds)}",
            "5m",
            "warning",
            "The oldest queued {{ $labels.kind }} job has waited {{ $value | humanizeDuration }}",
            "No worker is taking jobs: check that workers run (maestro worker, Celery) and "
            "that the broker is reachable.",
            dashboard="maestro-ml-operations",
        ),
        _alert(
            c,
            "MaestroJobMetricsOutboxGrowing",
            f"max({c.select('maestro_job_metrics_outbox_backlog')})"
            f" > {_fmt(c.outbox_backlog_rows)}\n"
            f"and deriv(max({c.select('maestro_job_metrics_outbox_backlog')})[15m:1m]) > 0\n",
            "15m",
            "warning",
            "{{ $value }} job metric samples wait in the outbox and the backlog grows",
            "No API replica drains job_metric_events: job metrics on the dashboards lag behind.",
            dashboard="maestro-ml-operations",
        ),
    ]


def _model_health_alerts(c: Config) -> list[Rule]:
    return [
        _alert(
            c,
            "MaestroModelDrift",
            f"max by (tenant_id, model_name) ({c.select('maestro_model_drift_score')})"
            f" > {_fmt(c.drift_score)}",
            "30m",
            "warning",
            "{{ $value | humanizePercentage }} of the features of {{ $labels.tenant_id }}/"
            "{{ $labels.model_name }} drifted",
            "The live inputs no longer look like the training data: retrain on recent data or "
            "check the upstream feature pipeline.",
            dashboard="maestro-ml-operations",
        ),
        _alert(
            c,
            "MaestroModelAccuracyDrop",
            f"max by (tenant_id, model_name) ({c.select('maestro_model_training_accuracy')})\n"
            f"- max by (tenant_id, model_name) ({c.select('maestro_model_live_accuracy')})\n"
            f"> {_fmt(c.accuracy_drop)}\n",
            "30m",
            "warning",
            "Live accuracy of {{ $labels.tenant_id }}/{{ $labels.model_name }} is "
            "{{ $value | humanizePercentage }} below its training accuracy",
            "Predictions are measurably worse than at training time: compare with the drift "
            "panels and retrain or roll back.",
            dashboard="maestro-ml-operations",
        ),
    ]


def alerting_groups(config: Config = CONFIG) -> list[dict[str, Any]]:
    return [
        {"name": "maestro_alerts", "rules": _api_alerts(config)},
        {"name": "maestro_slo_alerts", "rules": _slo_alerts(config)},
        {"name": "maestro_job_alerts", "rules": _job_alerts(config)},
        {"name": "maestro_model_health_alerts", "rules": _model_health_alerts(config)},
    ]


RULE_FILES = {
    "maestro-recording.yml": recording_groups,
    "maestro-alerts.yml": alerting_groups,
}
