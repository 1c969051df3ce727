"""API Performance: latency, errors, rate limiting and per-endpoint summary."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from .common import (
    ERROR_RATE_ALERT_PER_SECOND,
    Query,
    Section,
    new_dashboard,
    sel,
    table_panel,
    timeseries,
)

UID = "maestro-api-performance"
FILENAME = "api-performance.json"
ERROR_PANEL_TITLE = "Error Rate by Endpoint"
REQUESTS = "maestro_http_requests_total"
BUCKETS = "maestro_http_request_duration_seconds_bucket"


def _latency(quantile: str) -> Query:
    return Query(
        f"histogram_quantile({quantile}, sum by (le) (rate({sel(BUCKETS)}[$__rate_interval])))",
        f"p{quantile.removeprefix('0.')}",
    )


def build() -> Dashboard:
    return new_dashboard(
        UID,
        "Maestro ML Platform - API Performance",
        "API responsiveness, error rates, rate limiting and endpoint-level performance.",
        [
            Section(
                "Traffic and latency",
                [
                    timeseries(
                        "Request Rate by Endpoint",
                        "Requests per second per route template (probes and scrapes are not "
                        "counted).",
                        "reqps",
                        [
                            Query(
                                f"sum by (endpoint) (rate({sel(REQUESTS)}[$__rate_interval]))",
                                "{{endpoint}}",
                            )
                        ],
                    ),
                    timeseries(
                        "Request Latency by Percentile (p50, p95, p99)",
                        "Request duration percentiles across all endpoints.",
                        "s",
                        [_latency("0.50"), _latency("0.95"), _latency("0.99")],
                    ),
                    timeseries(
                        "Requests in Progress",
                        "Requests being handled right now, summed over replicas, per endpoint.",
                        "short",
                        [
                            Query(
                                f"sum by (endpoint) ({sel('maestro_http_requests_in_progress')})",
                                "{{endpoint}}",
                            )
                        ],
                        decimals=0,
                    ),
                    timeseries(
                        "Status Code Distribution",
                        "Requests per second by HTTP status code.",
                        "reqps",
                        [
                            Query(
                                f"sum by (status) (rate({sel(REQUESTS)}[$__rate_interval]))",
                                "{{status}}",
                            )
                        ],
                        stacked=True,
                    ),
                ],
            ),
            Section(
                "Errors",
                [
                    timeseries(
                        ERROR_PANEL_TITLE,
                        "Server errors (5xx) per second per endpoint; the dashed line is the "
                        f"{ERROR_RATE_ALERT_PER_SECOND:g} errors/s High Error Rate alert "
                        "threshold.",
                        "reqps",
                        [
                            Query(
                                "sum by (endpoint) (rate("
                                + sel(REQUESTS, 'status=~"5.."')
                                + "[$__rate_interval]))"
                                # 0 per endpoint, not no data, while nothing failed
                                + f" or sum by (endpoint) (rate({sel(REQUESTS)}"
                                "[$__rate_interval])) * 0",
                                "{{endpoint}}",
                            )
                        ],
                        threshold=ERROR_RATE_ALERT_PER_SECOND,
                    ),
                    timeseries(
                        "Client Errors by Code",
                        "4xx responses per second by error code (validation_error, not_found, "
                        "rate_limited, ...): a client's problem, shown here and never paged on.",
                        "reqps",
                        [
                            Query(
                                "sum by (error_type) (rate("
                                + sel("maestro_api_errors_total", 'error_type!="internal_error"')
                                + "[$__rate_interval]))",
                                "{{error_type}}",
                            )
                        ],
                    ),
                    timeseries(
                        "Rate Limit Events",
                        "429 responses from the rate limiter per second, per endpoint.",
                        "reqps",
                        [
                            Query(
                                "sum by (endpoint) (rate("
                                + sel("maestro_rate_limit_exceeded_total")
                                + "[$__rate_interval]))",
                                "{{endpoint}}",
                            )
                        ],
                        width=24,
                    ),
                ],
            ),
            Section(
                "Endpoints",
                [
                    table_panel(
                        "Endpoint Performance Summary Table",
                        "Per endpoint over the selected time range: request rate, p95 latency "
                        "and error rate.",
                        "reqps",
                        [
                            Query(
                                f"sum by (endpoint) (rate({sel(REQUESTS)}[$__range]))",
                                "Requests/s",
                            ),
                            Query(
                                "histogram_quantile(0.95, sum by (le, endpoint) "
                                f"(rate({sel(BUCKETS)}[$__range])))",
                                "p95 latency",
                            ),
                            Query(
                                "sum by (endpoint) (rate("
                                + sel("maestro_api_errors_total")
                                + "[$__range]))",
                                "Errors/s",
                            ),
                        ],
                        column_units={"p95 latency": "s"},
                    ),
                ],
            ),
        ],
    )
