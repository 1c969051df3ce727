"""Runtime configuration, read once from `MAESTRO_*` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    dataset_preview_rows: int = 20
    active_user_window_seconds: int = 15 * 60
    metrics_cache_seconds: float = 5.0
    model_cache_size: int = Field(default=32, description="loaded models kept for predict")

    quotas: QuotaDefaults = Field(default_factory=QuotaDefaults)

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
