"""Maestro ML Platform - Overview: platform health and activity at a glance."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from .common import (
    QUOTA_WARNING_RATIO,
    Query,
    Section,
    new_dashboard,
    sel,
    stat_panel,
    timeseries,
)
from .config import CONFIG

UID = "maestro-ml-overview"
FILENAME = "maestro-ml-overview.json"
QUOTA_PANEL_TITLE = "Tenant Quota Usage"
RARE = CONFIG.rare_event_window


def build() -> Dashboard:
    requests = sel("maestro_http_requests_total")
    return new_dashboard(
        UID,
        "Maestro ML Platform - Overview",
        "Platform health, traffic, ML activity and quota warnings.",
        [
            Section(
                "Traffic",
                [
                    timeseries(
                        "HTTP Request Rate",
                        "Requests per second served by all API replicas (all endpoints and "
                        "statuses; probes and scrapes are not counted).",
                        "reqps",
                        [Query(f"sum(rate({requests}[$__rate_interval]))", "requests/s")],
                    ),
                    timeseries(
                        "HTTP Request Latency (p95)",
                        "95th percentile request duration across all endpoints.",
                        "s",
                        [
                            Query(
                                "histogram_quantile(0.95, sum by (le) (rate("
                                + sel("maestro_http_request_duration_seconds_bucket")
                                + "[$__rate_interval])))",
                                "p95",
                            )
                        ],
                    ),
                    timeseries(
                        "API Error Rate",
                        "Error responses per second by error code (validation_error, "
                        "not_found, ...), client and server errors alike.",
                        "reqps",
                        [
                            Query(
                                "sum by (error_type) (rate("
                                + sel("maestro_api_errors_total")
                                + "[$__rate_interval]))",
                                "{{error_type}}",
                            )
                        ],
                    ),
                    timeseries(
                        "Rate Limit Exceeded Events",
                        "Requests rejected with 429 by the rate limiter, per second, by tenant.",
                        "reqps",
                        [
                            Query(
                                "sum by (tenant_id) (rate("
                                + sel("maestro_rate_limit_exceeded_total")
                                + "[$__rate_interval]))",
                                "{{tenant_id}}",
                            )
                        ],
                    ),
                ],
            ),
            Section(
                "ML activity",
                [
                    stat_panel(
                        "Total Models",
                        "Registered models across all tenants, read from the database.",
                        "short",
                        Query(f"sum(max by (tenant_id) ({sel('maestro_ml_models_total')}))"),
                        width=12,
                    ),
                    stat_panel(
                        "Total Experiments (24h)",
                        "Experiments started in the last 24 hours, all tenants.",
                        "short",
                        Query(
                            "sum(increase("
                            + sel("maestro_ml_experiments_total", 'status="started"')
                            + "[24h]))"
                        ),
                        width=12,
                    ),
                    timeseries(
                        "Model Operations by Type",
                        "Model registry operations per second (create, deploy, "
                        "register_version, ...).",
                        "ops",
                        [
                            Query(
                                "sum by (operation) (rate("
                                + sel("maestro_ml_model_operations_total")
                                + "[$__rate_interval]))",
                                "{{operation}}",
                            )
                        ],
                    ),
                    timeseries(
                        "Feature Discovery Duration",
                        f"95th percentile duration of each feature discovery stage over the "
                        f"last {RARE}: discovery runs a few times an hour, so a short rate "
                        "window would be empty most of the time.",
                        "s",
                        [
                            Query(
                                "histogram_quantile(0.95, sum by (le, operation) (increase("
                                + sel("maestro_feature_discovery_duration_seconds_bucket")
                                + f"[{RARE}])))",
                                "{{operation}} p95",
                            )
                        ],
                    ),
                ],
            ),
            Section(
                "Quotas",
                [
                    timeseries(
                        QUOTA_PANEL_TITLE,
                        f"Used / limit of the {CONFIG.quota_top_n} highest tenant and quota "
                        "resource pairs. The dashed line is the 80% warning that the Tenant "
                        "Quota Warning alert fires on; above 100% means a limit was lowered "
                        "below use.",
                        "percentunit",
                        [
                            Query(
                                f"topk({CONFIG.quota_top_n}, max by (tenant_id, resource_type) "
                                f"({sel('maestro_tenant_quota_usage_ratio')}))",
                                "{{tenant_id}} {{resource_type}}",
                            )
                        ],
                        threshold=QUOTA_WARNING_RATIO,
                        width=24,
                    ),
                ],
            ),
        ],
    )
