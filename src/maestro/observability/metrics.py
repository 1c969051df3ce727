"""Every Prometheus metric Maestro exports, defined in one place (DESIGN section 6).

Counters and histograms live on the default registry so that, under gunicorn, prometheus_client's
multiprocess mode aggregates them across workers. The three state gauges (models, quota usage,
active users) are not defined here as live gauges: they are read from the database at scrape time by
`maestro.observability.collector`, so every replica reports the same value.
"""

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

from maestro import __version__

_KIB = 1024

# `_created` series double every counter's cardinality and no dashboard reads them.
disable_created_metrics()

HTTP_REQUESTS = Counter(
    "maestro_http_requests_total",
    "HTTP requests finished, by route template, status and tenant.",
    ["method", "endpoint", "status", "tenant_id"],
)
HTTP_REQUEST_DURATION = Histogram(
    "maestro_http_request_duration_seconds",
    "HTTP request latency from first byte received to last byte sent.",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
HTTP_REQUESTS_IN_PROGRESS = Gauge(
    "maestro_http_requests_in_progress",
    "HTTP requests currently being served.",
    ["method", "endpoint"],
    multiprocess_mode="livesum",
)
API_ERRORS = Counter(
    "maestro_api_errors_total",
    "Error responses, by the API error code.",
    ["method", "endpoint", "error_type"],
)
RATE_LIMIT_EXCEEDED = Counter(
    "maestro_rate_limit_exceeded_total",
    "Requests refused with 429 by the rate limiter.",
    ["tenant_id", "endpoint"],
)
MODEL_OPERATIONS = Counter(
    "maestro_ml_model_operations_total",
    "Model registry operations.",
    ["tenant_id", "operation", "status"],
)
# Histograms carry only the labels a dashboard panel or rule uses: each label value costs one
# series per bucket. No `tenant_id` on these two (the panels aggregate it away).
MODEL_SIZE_BYTES = Histogram(
    "maestro_ml_model_size_bytes",
    "Artifact size of each registered model version.",
    buckets=(*(_KIB * 4**i for i in range(12)), 10 * _KIB**3),  # 1 KiB ... 4 GiB, 10 GiB
)
EXPERIMENTS = Counter(
    "maestro_ml_experiments_total",
    "Experiments started and finished, by status.",
    ["tenant_id", "status"],
)
TRAINING_DURATION = Histogram(
    "maestro_ml_training_duration_seconds",
    "Wall time of finished training jobs.",
    ["algorithm", "status"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400),
)
FEATURE_DISCOVERY_OPERATIONS = Counter(
    "maestro_feature_discovery_operations_total",
    "Feature discovery stages run.",
    ["tenant_id", "operation", "status"],
)
FEATURE_DISCOVERY_DURATION = Histogram(
    "maestro_feature_discovery_duration_seconds",
    "Wall time of each feature discovery stage.",
    ["operation"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
MODEL_CARD_GENERATIONS = Counter(
    "maestro_model_card_generations_total",
    "Model cards rendered.",
    ["tenant_id", "format", "status"],
)
# Crash recovery: what the orphan sweep (maestro.services.orphans) gave back. kind is one of
# object, partial, scratch; status one of success, failure.
ORPHANS_RECLAIMED = Counter(
    "maestro_storage_orphans_reclaimed_total",
    "Leftovers of crashed writes removed by the orphan sweep, by kind.",
    ["kind"],
)
ORPHAN_BYTES_RECLAIMED = Counter(
    "maestro_storage_orphan_bytes_reclaimed_total",
    "Bytes held by the leftovers the orphan sweep removed, by kind.",
    ["kind"],
)
STORAGE_SWEEPS = Counter(
    "maestro_storage_sweeps_total",
    "Orphan sweeps run, by outcome.",
    ["status"],
)
JOB_LEASE_EXPIRIES = Counter(
    "maestro_job_lease_expiries_total",
    "Running jobs whose worker lease expired (worker lost), counted through the job outbox.",
    ["kind"],
)
JOB_RETRIES = Counter(
    "maestro_job_retries_total",
    "Jobs re-queued for another attempt after a lost attempt, counted through the job outbox.",
    ["kind"],
)
MODEL_PREDICTIONS = Counter(
    "maestro_model_predictions_total",
    "Rows predicted by a deployed model (model names are bounded by the deployments quota).",
    ["tenant_id", "model_name"],
)
BUILD_INFO = Gauge(
    "maestro_build_info",
    "Always 1; the version label says which Maestro is running.",
    ["version"],
    multiprocess_mode="max",
)

# Names of the collector-backed gauges, exported for the collector and for tests.
MODELS_TOTAL = "maestro_ml_models_total"
TENANT_QUOTA_USAGE_RATIO = "maestro_tenant_quota_usage_ratio"
TENANT_ACTIVE_USERS = "maestro_tenant_active_users"
JOBS = "maestro_jobs"
JOB_OLDEST_QUEUED_SECONDS = "maestro_job_oldest_queued_seconds"
JOB_METRICS_OUTBOX_BACKLOG = "maestro_job_metrics_outbox_backlog"
# Model health gauges, read from the database by `observability.model_health`.
MODEL_DRIFT_SCORE = "maestro_model_drift_score"
MODEL_DRIFTED_FEATURES = "maestro_model_drifted_features"
MODEL_LIVE_ACCURACY = "maestro_model_live_accuracy"
MODEL_TRAINING_ACCURACY = "maestro_model_training_accuracy"
MODEL_LIVE_ERROR = "maestro_model_live_error"
MODEL_TRAINING_ERROR = "maestro_model_training_error"

ANONYMOUS_TENANT = "anonymous"


def mark_build_info() -> None:
    BUILD_INFO.labels(version=__version__).set(1)


def init_job_counters(kinds: list[str]) -> None:
    """Expose 0 for every job kind, so rates and panels read 0 before the first lease expiry."""
    for kind in kinds:
        JOB_LEASE_EXPIRIES.labels(kind=kind)
        JOB_RETRIES.labels(kind=kind)
