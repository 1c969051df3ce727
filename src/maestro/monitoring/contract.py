"""The metrics contract the dashboards, rules and `maestro monitoring check` rely on.

It is written down here, separately from the code that records the metrics, on purpose: it is the
promise made to operators (DESIGN.md section 6), so a rename in the platform shows up as a failing
check instead of silently emptying a dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricKind = Literal["counter", "gauge", "histogram"]


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: MetricKind
    labels: tuple[str, ...]
    help: str
    #: A series exists only once something happened that no demo traffic guarantees (a drift
    #: run of a deployed model): its absence is a warning in `maestro monitoring check`.
    sparse: bool = False

    @property
    def series_names(self) -> tuple[str, ...]:
        """Names Prometheus stores: a histogram is stored as _bucket, _count and _sum."""
        if self.kind == "histogram":
            return (f"{self.name}_bucket", f"{self.name}_count", f"{self.name}_sum")
        return (self.name,)


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "maestro_http_requests_total",
        "counter",
        ("method", "endpoint", "status", "tenant_id"),
        "Finished HTTP requests (all but /metrics and the probes)",
    ),
    MetricSpec(
        "maestro_http_request_duration_seconds",
        "histogram",
        ("method", "endpoint"),
        "Request latency",
    ),
    MetricSpec(
        "maestro_http_requests_in_progress",
        "gauge",
        ("method", "endpoint"),
        "Requests in flight (livesum under multiprocess)",
    ),
    MetricSpec(
        "maestro_api_errors_total",
        "counter",
        ("method", "endpoint", "error_type"),
        "Error responses by error code",
    ),
    MetricSpec(
        "maestro_rate_limit_exceeded_total",
        "counter",
        ("tenant_id", "endpoint"),
        "429 responses from the rate limiter",
    ),
    MetricSpec(
        "maestro_ml_models_total", "gauge", ("tenant_id",), "Registered models (from the database)"
    ),
    MetricSpec(
        "maestro_ml_model_operations_total",
        "counter",
        ("tenant_id", "operation", "status"),
        "Model operations: create, update, delete, deploy, undeploy, register_version",
    ),
    MetricSpec("maestro_ml_model_size_bytes", "histogram", (), "Registered artifact sizes"),
    MetricSpec(
        "maestro_ml_experiments_total",
        "counter",
        ("tenant_id", "status"),
        "Experiments started, completed, failed, cancelled",
    ),
    MetricSpec(
        "maestro_ml_training_duration_seconds",
        "histogram",
        ("algorithm", "status"),
        "Finished training job durations",
    ),
    MetricSpec(
        "maestro_feature_discovery_operations_total",
        "counter",
        ("tenant_id", "operation", "status"),
        "Feature discovery stages run",
    ),
    MetricSpec(
        "maestro_feature_discovery_duration_seconds",
        "histogram",
        ("operation",),
        "Feature discovery stage durations",
    ),
    MetricSpec(
        "maestro_model_card_generations_total",
        "counter",
        ("tenant_id", "format", "status"),
        "Model cards rendered",
    ),
    MetricSpec(
        "maestro_tenant_quota_usage_ratio",
        "gauge",
        ("tenant_id", "resource_type"),
        "Quota used / limit (from the database)",
    ),
    MetricSpec(
        "maestro_tenant_active_users",
        "gauge",
        ("tenant_id",),
        "Users seen recently (from the database)",
    ),
    MetricSpec("maestro_build_info", "gauge", ("version",), "Always 1, labelled with the version"),
    # The job pipeline (issue 9 section 13). Kinds and states are enums: bounded cardinality.
    MetricSpec(
        "maestro_jobs",
        "gauge",
        ("kind", "state"),
        "Jobs by kind and state, queued or running (from the database)",
    ),
    MetricSpec(
        "maestro_job_oldest_queued_seconds",
        "gauge",
        ("kind",),
        "Age of the oldest queued job, 0 when none waits (from the database)",
    ),
    MetricSpec(
        "maestro_job_lease_expiries_total",
        "counter",
        ("kind",),
        "Running jobs whose worker lease expired (worker lost)",
    ),
    MetricSpec(
        "maestro_job_retries_total",
        "counter",
        ("kind",),
        "Jobs re-queued for another attempt after a lost attempt",
    ),
    MetricSpec(
        "maestro_job_metrics_outbox_backlog",
        "gauge",
        (),
        "Job metric samples waiting in the outbox (from the database)",
    ),
    # Model health of deployed models (issue 12 section 6): exist once a drift run or feedback
    # window has a value, so sparse.
    *(
        MetricSpec(name, "gauge", ("tenant_id", "model_name"), help_text, sparse=True)
        for name, help_text in (
            ("maestro_model_drift_score", "Share of features drifted in the latest drift run"),
            ("maestro_model_drifted_features", "Features drifted in the latest drift run"),
            ("maestro_model_live_accuracy", "Accuracy over the latest feedback window"),
            ("maestro_model_training_accuracy", "Accuracy measured at training time"),
            ("maestro_model_live_error", "Mean absolute error over the latest feedback window"),
            ("maestro_model_training_error", "Mean absolute error at training time"),
        )
    ),
    MetricSpec(
        "maestro_model_predictions_total",
        "counter",
        ("tenant_id", "model_name"),
        "Rows predicted by a deployed model",
        sparse=True,
    ),
)

# Read from the database by one collector, so every replica reports the same value:
# aggregate with `max by (...)`, never `sum`.
STATE_GAUGES: frozenset[str] = frozenset(
    {
        "maestro_ml_models_total",
        "maestro_tenant_quota_usage_ratio",
        "maestro_tenant_active_users",
        "maestro_jobs",
        "maestro_job_oldest_queued_seconds",
        "maestro_job_metrics_outbox_backlog",
        "maestro_model_drift_score",
        "maestro_model_drifted_features",
        "maestro_model_live_accuracy",
        "maestro_model_training_accuracy",
        "maestro_model_live_error",
        "maestro_model_training_error",
    }
)


def sparse_series_names() -> frozenset[str]:
    """Series names whose absence is expected until a drift run or feedback exists."""
    return frozenset(name for metric in METRICS if metric.sparse for name in metric.series_names)


SCRAPE_JOB = "maestro-api"


def stored_series_names() -> frozenset[str]:
    """Every metric name a query may select from Prometheus for the contract metrics."""
    return frozenset(name for metric in METRICS for name in metric.series_names)
