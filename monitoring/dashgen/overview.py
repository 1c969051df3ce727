"""Maestro ML Platform - Overview: platform health and activity at a glance."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from .common import (
    QUOTA_WARNING_RATIO,
    Query,
    new_dashboard,
    stat_panel,
    timeseries,
)

UID = "maestro-ml-overview"
FILENAME = "maestro-ml-overview.json"
QUOTA_PANEL_TITLE = "Tenant Quota Usage"


def build() -> Dashboard:
    return new_dashboard(
        UID,
        "Maestro ML Platform - Overview",
        "Platform health, traffic, ML activity and quota warnings.",
        [
            timeseries(
                "HTTP Request Rate",
                "Requests per second served by all API replicas (all endpoints and statuses).",
                "reqps",
                [Query("sum(rate(maestro_http_requests_total[$__rate_interval]))", "requests/s")],
            ),
            timeseries(
                "HTTP Request Latency (p95)",
                "95th percentile request duration across all endpoints.",
                "s",
                [
                    Query(
                        "histogram_quantile(0.95, sum by (le) "
                        "(rate(maestro_http_request_duration_seconds_bucket[$__rate_interval])))",
                        "p95",
                    )
                ],
            ),
            stat_panel(
                "Total Models",
                "Registered models across all tenants, read from the database.",
                "short",
                Query("sum(max by (tenant_id) (maestro_ml_models_total))"),
            ),
            stat_panel(
                "Total Experiments (24h)",
                "Experiments started in the last 24 hours, all tenants.",
                "short",
                Query('sum(increase(maestro_ml_experiments_total{status="started"}[24h]))'),
            ),
            timeseries(
                "API Error Rate",
                "Error responses per second by error code (validation_error, not_found, ...).",
                "reqps",
                [
                    Query(
                        "sum by (error_type) (rate(maestro_api_errors_total[$__rate_interval]))",
                        "{{error_type}}",
                    )
                ],
                width=12,
            ),
            timeseries(
                "Rate Limit Exceeded Events",
                "Requests rejected with 429 by the rate limiter, per second, by tenant.",
                "reqps",
                [
                    Query(
                        "sum by (tenant_id) "
                        "(rate(maestro_rate_limit_exceeded_total[$__rate_interval]))",
                        "{{tenant_id}}",
                    )
                ],
                width=12,
            ),
            timeseries(
                "Model Operations by Type",
                "Model registry operations per second (create, deploy, register_version, ...).",
                "ops",
                [
                    Query(
                        "sum by (operation) "
                        "(rate(maestro_ml_model_operations_total[$__rate_interval]))",
                        "{{operation}}",
                    )
                ],
            ),
            timeseries(
                "Feature Discovery Duration",
                "95th percentile duration of each feature discovery stage.",
                "s",
                [
                    Query(
                        "histogram_quantile(0.95, sum by (le, operation) "
                        "(rate(maestro_feature_discovery_duration_seconds_bucket"
                        "[$__rate_interval])))",
                        "{{operation}} p95",
                    )
                ],
            ),
            timeseries(
                QUOTA_PANEL_TITLE,
                "Used / limit per tenant and quota resource. The dashed line is the 80% warning "
                "that the Tenant Quota Warning alert fires on.",
                "percentunit",
                [
                    Query(
                        "max by (tenant_id, resource_type) (maestro_tenant_quota_usage_ratio)",
                        "{{tenant_id}} {{resource_type}}",
                    )
                ],
                threshold=QUOTA_WARNING_RATIO,
                max_value=1,
                width=24,
            ),
        ],
    )
