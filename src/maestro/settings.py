"""Runtime configuration, read once from `MAESTRO_*` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = Path("maestro-data")


class QuotaDefaults(BaseSettings):
    """Per-tenant quota defaults; `None` means unlimited. Admins override them per tenant."""

    model_config = SettingsConfigDict(env_prefix="MAESTRO_QUOTA_", extra="ignore")

    models: int | None = 100
    experiments: int | None = 1000
    datasets: int | None = 100
    storage_bytes: int | None = 10 * 1024**3
    concurrent_training_jobs: int | None = 2
    users: int | None = 25
    deployments: int | None = 10


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAESTRO_", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to SQLite in data_dir"
    )
    artifact_uri: str | None = Field(
        default=None, description="file://... or s3://bucket/prefix; defaults to data_dir"
    )
    s3_endpoint_url: str | None = None
    redis_url: str | None = None
    executor: Literal["local", "celery"] = "local"
    broker_url: str | None = Field(default=None, description="Celery broker; defaults to redis_url")
    celery_queue: str = "maestro-jobs"
    job_lease_seconds: float = 30.0
    job_heartbeat_seconds: float = 5.0
    job_max_attempts: int = 2
    job_pool_size: int = 2
    job_poll_seconds: float = 1.0
    job_modules: list[str] = Field(default=[], description="extra modules that register job kinds")
    bootstrap_admin_key: SecretStr | None = None

    log_level: str = "INFO"
    log_json: bool = False

    rate_limit_requests_per_minute: int = 600
    rate_limit_burst: int = 100
    anonymous_rate_limit_requests_per_minute: int = 60
    anonymous_rate_limit_burst: int = 20

    max_request_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 512 * 1024 * 1024
    max_predict_body_bytes: int = 32 * 1024 * 1024  # 10,000 wide instances fit
    max_dataset_columns: int = 2000
    # hardening: request head, datasets, keys, proxies
    max_request_header_bytes: int = 32 * 1024
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default=[], description="proxies whose X-Forwarded-For is trusted (comma-separated)"
    )
    max_api_keys_per_user: int = 20
    max_dataset_rows: int = 50_000_000
    max_dataset_decoded_bytes: int = 8 * 1024**3
    dataset_preview_rows: int = 20
    active_user_window_seconds: int = 15 * 60
    metrics_cache_seconds: float = 5.0

    # --- serving: user models run in sandboxed worker processes (maestro.serving) ---
    serving_workers: int = Field(default=2, ge=1, description="warm serving processes per API")
    serving_warm_on_start: bool = Field(
        default=True, description="start the serving processes with the app, not on first use"
    )
    serving_timeout_seconds: float = Field(default=30.0, gt=0, description="per predict/load")
    serving_memory_bytes: int = Field(default=2 * 1024**3, description="RLIMIT_AS per process")
    serving_cpu_seconds: int = Field(default=3600, description="CPU time before it is recycled")
    serving_cache_bytes: int = Field(default=512 * 1024**2, description="loaded models/process")
    serving_landlock: Literal["required", "auto"] = Field(
        default="auto", description="required: refuse to serve on a kernel without Landlock"
    )
    artifact_max_entries: int = 10_000
    artifact_max_uncompressed_bytes: int = 1024**3
    artifact_max_array_bytes: int = 512 * 1024**2
    bootstrap_admin_key_file: Path | None = Field(
        default=None, description="file holding the bootstrap admin key (container secrets)"
    )
    metrics_active_tenants_seconds: int | None = Field(
        default=None,
        description="per-tenant state gauges only for tenants with a user seen this recently "
        "(cardinality on large installs); unset: every tenant",
    )

    # Model health (prediction log, drift, live accuracy); see services/prediction_log.py.
    prediction_log_sample_rate: float = Field(
        default=1.0, ge=0.0, le=1.0, description="share of predict requests logged by default"
    )
    prediction_log_max_rows_per_second: float = Field(
        default=500.0,
        gt=0.0,
        description="rows logged per second and deployed model at most, per API process",
    )
    prediction_log_retention_days: float = Field(
        default=7.0, description="for tenants without their own (tenants.prediction_log_*)"
    )
    prediction_log_max_bytes: int = Field(
        default=256 * 1024**2,
        description="per tenant, unless it has its own; the oldest rows go first beyond it",
    )
    prediction_log_flush_seconds: float = 0.5
    prediction_log_sweep_seconds: float = 60.0
    drift_interval_seconds: float = Field(default=3600.0, description="0 turns the schedule off")
    drift_window_rows: int = 5000
    feedback_window_seconds: float = 24 * 3600.0
    # Web console: how long a signed-in browser session lasts before it must sign in again.
    console_session_hours: float = Field(default=12.0, gt=0)

    quotas: QuotaDefaults = Field(default_factory=QuotaDefaults)

    @model_validator(mode="after")
    def _read_bootstrap_key_file(self) -> "Settings":
        """MAESTRO_BOOTSTRAP_ADMIN_KEY_FILE: the key from a mounted secret, not the environment."""
        if self.bootstrap_admin_key_file is not None:
            if self.bootstrap_admin_key is not None:
                raise ValueError("set MAESTRO_BOOTSTRAP_ADMIN_KEY or its _FILE variant, not both")
            key = self.bootstrap_admin_key_file.read_text().strip()
            if not key:
                raise ValueError(f"{self.bootstrap_admin_key_file} holds no key")
            self.bootstrap_admin_key = SecretStr(key)
        return self

    # Crash recovery (maestro.services.orphans, maestro.jobs.local, maestro.server).
    orphan_grace_seconds: float = Field(
        default=3600.0, description="leftovers younger than this are never swept"
    )
    orphan_sweep_interval_seconds: float = Field(
        default=3600.0, description="0 sweeps only at start-up"
    )
    job_max_run_seconds: dict[str, float] = Field(
        default={"training": 6 * 3600.0, "feature_discovery": 3600.0},
        description="per job kind; a local job running longer is failed",
    )
    job_max_run_seconds_default: float = Field(
        default=6 * 3600.0, description="for job kinds not in job_max_run_seconds"
    )
    http_keep_alive_seconds: float = Field(
        default=75.0, description="longer than client pools keep idle connections (60 s)"
    )

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _split_addresses(cls, value: object) -> object:
        """`10.0.0.1,10.0.0.0/8` (as uvicorn's FORWARDED_ALLOW_IPS) or a list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'maestro.db').resolve()}"

    @property
    def resolved_artifact_uri(self) -> str:
        if self.artifact_uri:
            return self.artifact_uri
        return f"file://{(self.data_dir / 'artifacts').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
