"""API Performance: latency, errors, rate limiting and per-endpoint summary."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from .common import ERROR_RATE_ALERT_PER_SECOND, Query, new_dashboard, table_panel, timeseries

UID = "maestro-api-performance"
FILENAME = "api-performance.json"
ERROR_PANEL_TITLE = "Error Rate by Endpoint"


def _latency(quantile: str) -> Query:
    return Query(
        f"histogram_quantile({quantile}, sum by (le) "
        "(rate(maestro_http_request_duration_seconds_bucket[$__rate_interval])))",
        f"p{quantile.removeprefix('0.')}",
    )


def build() -> Dashboard:
    return new_dashboard(
        UID,
        "Maestro ML Platform - API Performance",
        "API responsiveness, error rates, rate limiting and endpoint-level performance.",
        [
            timeseries(
                "Request Rate by Endpoint",
                "Requests per second per route template.",
                "reqps",
                [
                    Query(
                        "sum by (endpoint) (rate(maestro_http_requests_total[$__rate_interval]))",
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
                ERROR_PANEL_TITLE,
                "Error responses per second per endpoint; the dashed line is the 0.1 errors/s "
                "High Error Rate alert threshold.",
                "reqps",
                [
                    Query(
                        "sum by (endpoint) (rate(maestro_api_errors_total[$__rate_interval]))",
                        "{{endpoint}}",
                    )
                ],
                threshold=ERROR_RATE_ALERT_PER_SECOND,
            ),
            timeseries(
                "Requests in Progress",
                "Requests being handled right now, summed over replicas, per endpoint.",
                "short",
                [
                    Query(
                        "sum by (endpoint) (maestro_http_requests_in_progress)",
                        "{{endpoint}}",
                    )
                ],
            ),
            timeseries(
                "Status Code Distribution",
                "Requests per second by HTTP status code.",
                "reqps",
                [
                    Query(
                        "sum by (status) (rate(maestro_http_requests_total[$__rate_interval]))",
                        "{{status}}",
                    )
                ],
                stacked=True,
            ),
            timeseries(
                "Rate Limit Events",
                "429 responses from the rate limiter per second, per endpoint.",
                "reqps",
                [
                    Query(
                        "sum by (endpoint) "
                        "(rate(maestro_rate_limit_exceeded_total[$__rate_interval]))",
                        "{{endpoint}}",
                    )
                ],
            ),
            table_panel(
                "Endpoint Performance Summary Table",
                "Per endpoint: request rate, p95 latency and error rate.",
                "reqps",
                [
                    Query(
                        "sum by (endpoint) (rate(maestro_http_requests_total[$__rate_interval]))",
                        "Requests/s",
                    ),
                    Query(
                        "histogram_quantile(0.95, sum by (le, endpoint) "
                        "(rate(maestro_http_request_duration_seconds_bucket[$__rate_interval])))",
                        "p95 latency",
                    ),
                    Query(
                        "sum by (endpoint) (rate(maestro_api_errors_total[$__rate_interval]))",
                        "Errors/s",
                    ),
                ],
                column_units={"B": "s"},
            ),
        ],
    )
