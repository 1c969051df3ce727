"""ML Operations: model lifecycle, experiments, training, the job pipeline and model health."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from .common import Query, Section, bargauge_panel, new_dashboard, sel, table_panel, timeseries
from .config import CONFIG

UID = "maestro-ml-operations"
FILENAME = "ml-operations.json"
RARE = CONFIG.rare_event_window
MODEL = "tenant_id, model_name"
TRAINING = "maestro_ml_training_duration_seconds_count"
DISCOVERY = "maestro_feature_discovery_operations_total"


def _failure_ratio(metric: str, failed: str) -> str:
    """Failed / all over the rare-event window; 0 (not no data) while nothing failed."""
    everything = f"sum(increase({sel(metric)}[{RARE}]))"
    return f"(sum(increase({sel(metric, failed)}[{RARE}])) or {everything} * 0) / {everything}"


def _size_quantile(quantile: str) -> Query:
    return Query(
        f"histogram_quantile({quantile}, sum by (le) (increase("
        + sel("maestro_ml_model_size_bytes_bucket")
        + f"[{RARE}])))",
        f"p{quantile.removeprefix('0.')}",
    )


def _models() -> Section:
    return Section(
        "Models and experiments",
        [
            timeseries(
                "Model Operations Rate (create, update, delete, deploy)",
                "Successful and failed model operations per second, by operation.",
                "ops",
                [
                    Query(
                        "sum by (operation, status) (rate("
                        + sel(
                            "maestro_ml_model_operations_total",
                            'operation=~"create|update|delete|deploy"',
                        )
                        + "[$__rate_interval]))",
                        "{{operation}} {{status}}",
                    )
                ],
            ),
            bargauge_panel(
                "Models by Tenant",
                "Registered models per tenant, read from the database.",
                "short",
                Query(f"max by (tenant_id) ({sel('maestro_ml_models_total')})", "{{tenant_id}}"),
            ),
            timeseries(
                "Model Size Distribution (p50, p95)",
                f"Median and 95th percentile artifact size of the versions registered in the "
                f"last {RARE} (a few registrations an hour would leave a shorter window empty).",
                "bytes",
                [_size_quantile("0.5"), _size_quantile("0.95")],
            ),
            bargauge_panel(
                "Experiments by Status",
                "Experiments started and finished (completed, failed, cancelled) in the range.",
                "short",
                Query(
                    "sum by (status) (increase("
                    + sel("maestro_ml_experiments_total")
                    + "[$__range]))",
                    "{{status}}",
                ),
                decimals=0,
            ),
            timeseries(
                "Model Card Generations",
                "Model cards rendered per second, by output format.",
                "ops",
                [
                    Query(
                        "sum by (format) (rate("
                        + sel("maestro_model_card_generations_total")
                        + "[$__rate_interval]))",
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
                        "sum by (tenant_id, operation, status) (increase("
                        + sel("maestro_ml_model_operations_total")
                        + "[$__range]))",
                        "Operations",
                    )
                ],
                decimals=0,
                width=12,
            ),
        ],
    )


def _jobs() -> Section:
    return Section(
        "Jobs",
        [
            timeseries(
                "Training Job Duration (p95)",
                f"95th percentile wall time of training jobs finished in the last {RARE}, by "
                "algorithm and outcome: a fast failure is not a fast job.",
                "s",
                [
                    Query(
                        "histogram_quantile(0.95, sum by (le, algorithm, status) (increase("
                        + sel("maestro_ml_training_duration_seconds_bucket")
                        + f"[{RARE}])))",
                        "{{algorithm}} {{status}} p95",
                    )
                ],
            ),
            timeseries(
                "Jobs by Kind and State",
                "Queued and running jobs per kind, read from the database.",
                "short",
                [Query(f"max by (kind, state) ({sel('maestro_jobs')})", "{{kind}} {{state}}")],
                decimals=0,
            ),
            timeseries(
                "Oldest Queued Job",
                "How long the oldest queued job of each kind has waited; the dashed line is "
                "the Job Queued Too Long alert.",
                "s",
                [
                    Query(
                        f"max by (kind) ({sel('maestro_job_oldest_queued_seconds')})",
                        "{{kind}}",
                    )
                ],
                threshold=CONFIG.oldest_queued_job_seconds,
            ),
            timeseries(
                "Lease Expiries and Retries",
                f"Jobs whose worker was lost (lease expired) and jobs re-queued for another "
                f"attempt, per kind, over the last {RARE}.",
                "short",
                [
                    Query(
                        "sum by (kind) (increase("
                        + sel("maestro_job_lease_expiries_total")
                        + f"[{RARE}]))",
                        "{{kind}} lease expiries",
                    ),
                    Query(
                        "sum by (kind) (increase("
                        + sel("maestro_job_retries_total")
                        + f"[{RARE}]))",
                        "{{kind}} retries",
                    ),
                ],
                decimals=0,
            ),
            timeseries(
                "Job Metrics Outbox Backlog",
                "Samples written by workers (local pool or Celery) that no API process has "
                "applied yet; it drains every second while an API replica runs.",
                "short",
                [Query(f"max({sel('maestro_job_metrics_outbox_backlog')})", "backlog")],
                threshold=CONFIG.outbox_backlog_rows,
                decimals=0,
            ),
            timeseries(
                "Job Failure Ratio",
                "Share of training jobs and feature discovery stages that failed over the last "
                f"{RARE}; the dashed line is the failure ratio alerts' threshold.",
                "percentunit",
                [
                    Query(_failure_ratio(TRAINING, 'status="failed"'), "training"),
                    Query(_failure_ratio(DISCOVERY, 'status="failure"'), "feature discovery"),
                ],
                threshold=CONFIG.job_failure_ratio,
            ),
        ],
    )


def _model_health() -> Section:
    return Section(
        "Model health",
        [
            timeseries(
                "Model Drift Score",
                "Share of features flagged as drifted in the latest drift run, per deployed "
                "model; the dashed line is the Model Drift alert.",
                "percentunit",
                [
                    Query(
                        f"max by ({MODEL}) ({sel('maestro_model_drift_score')})",
                        "{{tenant_id}}/{{model_name}}",
                    )
                ],
                threshold=CONFIG.drift_score,
            ),
            timeseries(
                "Drifted Features",
                "Number of features flagged as drifted in the latest drift run.",
                "short",
                [
                    Query(
                        f"max by ({MODEL}) ({sel('maestro_model_drifted_features')})",
                        "{{tenant_id}}/{{model_name}}",
                    )
                ],
                decimals=0,
            ),
            timeseries(
                "Live vs Training Accuracy",
                "Accuracy over the latest feedback window next to the accuracy measured at "
                "training time; the Model Accuracy Drop alert fires when live falls more than "
                f"{CONFIG.accuracy_drop:g} below training.",
                "percentunit",
                [
                    Query(
                        f"max by ({MODEL}) ({sel('maestro_model_live_accuracy')})",
                        "{{tenant_id}}/{{model_name}} live",
                    ),
                    Query(
                        f"max by ({MODEL}) ({sel('maestro_model_training_accuracy')})",
                        "{{tenant_id}}/{{model_name}} training",
                    ),
                ],
            ),
            timeseries(
                "Prediction Volume",
                "Rows predicted per second by each deployed model.",
                "short",
                [
                    Query(
                        f"sum by ({MODEL}) (rate("
                        + sel("maestro_model_predictions_total")
                        + "[$__rate_interval]))",
                        "{{tenant_id}}/{{model_name}}",
                    )
                ],
            ),
        ],
    )


def build() -> Dashboard:
    return new_dashboard(
        UID,
        "Maestro ML Platform - ML Operations",
        "Model activity, training, the job pipeline and the health of deployed models.",
        [_models(), _jobs(), _model_health()],
    )
