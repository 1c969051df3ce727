"""ML Operations: model lifecycle, experiments, training and model cards."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from .common import Query, bargauge_panel, new_dashboard, table_panel, timeseries

UID = "maestro-ml-operations"
FILENAME = "ml-operations.json"


def build() -> Dashboard:
    return new_dashboard(
        UID,
        "Maestro ML Platform - ML Operations",
        "Model creation and deployment activity, training performance, model sizes, experiments.",
        [
            timeseries(
                "Model Operations Rate (create, update, delete, deploy)",
                "Successful and failed model operations per second, by operation.",
                "ops",
                [
                    Query(
                        "sum by (operation, status) (rate(maestro_ml_model_operations_total"
                        '{operation=~"create|update|delete|deploy"}[$__rate_interval]))',
                        "{{operation}} {{status}}",
                    )
                ],
            ),
            bargauge_panel(
                "Models by Tenant",
                "Registered models per tenant, read from the database.",
                "short",
                Query("max by (tenant_id) (maestro_ml_models_total)", "{{tenant_id}}"),
            ),
            timeseries(
                "Model Size Distribution (p50, p95)",
                "Median and 95th percentile artifact size of newly registered model versions.",
                "bytes",
                [
                    Query(
                        "histogram_quantile(0.5, sum by (le) "
                        "(rate(maestro_ml_model_size_bytes_bucket[$__rate_interval])))",
                        "p50",
                    ),
                    Query(
                        "histogram_quantile(0.95, sum by (le) "
                        "(rate(maestro_ml_model_size_bytes_bucket[$__rate_interval])))",
                        "p95",
                    ),
                ],
            ),
            bargauge_panel(
                "Experiments by Status",
                "Experiments started and finished (completed, failed, cancelled) in the range.",
                "short",
                Query(
                    "sum by (status) (increase(maestro_ml_experiments_total[$__range]))",
                    "{{status}}",
                ),
            ),
            timeseries(
                "Training Job Duration (p95)",
                "95th percentile wall time of finished training jobs, by algorithm.",
                "s",
                [
                    Query(
                        "histogram_quantile(0.95, sum by (le, algorithm) "
                        "(rate(maestro_ml_training_duration_seconds_bucket[$__rate_interval])))",
                        "{{algorithm}} p95",
                    )
                ],
            ),
            timeseries(
                "Model Card Generations",
                "Model cards rendered per second, by output format.",
                "ops",
                [
                    Query(
                        "sum by (format) "
                        "(rate(maestro_model_card_generations_total[$__rate_interval]))",
                        "{{format}}",
                    )
                ],
            ),
            table_panel(
                "Model Operations Summary Table",
                "Model operations in the time range per tenant, operation and outcome.",
                "short",
                [
                    Query(
                        "sum by (tenant_id, operation, status) "
                        "(increase(maestro_ml_model_operations_total[$__range]))",
                        "Operations",
                    )
                ],
            ),
        ],
    )
