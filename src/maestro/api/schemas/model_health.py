"""Model health shapes: monitoring settings, reference data, feedback, performance, drift."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from maestro.api.schemas.common import RequestModel

Label = str | int | float | bool


class MonitoringIn(RequestModel):
    log_sample_rate: float | None = Field(
        ge=0.0,
        le=1.0,
        strict=True,
        description="share of predict requests logged; 0 = off, null = default",
    )


class MonitoringOut(BaseModel):
    model: str
    log_sample_rate: float
    log_sample_rate_override: float | None
    retention_days: float
    max_bytes_per_tenant: int
    drift_interval_seconds: float
    next_drift_at: datetime | None


class ReferenceIn(RequestModel):
    dataset_id: str = Field(max_length=36)


class ReferenceOut(BaseModel):
    model: str
    version: int
    dataset_id: str | None
    source: str = Field(description="explicit, training (the training job's dataset) or none")


class FeedbackItem(RequestModel):
    prediction_id: str = Field(max_length=48)
    label: Label


class FeedbackIn(RequestModel):
    feedback: list[FeedbackItem] = Field(min_length=1, max_length=10_000)


class FeedbackOut(BaseModel):
    accepted: int
    unknown_prediction_ids: list[str] = Field(
        description="not logged for this model (not sampled, expired, or another model's)"
    )


class WindowOut(BaseModel):
    window: str
    seconds: float
    labelled: int
    accuracy: float | None
    mae: float | None


class PerformanceOut(BaseModel):
    model: str
    deployed_version: int | None
    task: str | None
    training: dict[str, float] = Field(description="accuracy / mae measured at training time")
    windows: list[WindowOut]


class DriftRunOut(BaseModel):
    id: str
    version: int
    job_id: str | None
    created_at: datetime
    status: str = Field(description="completed, insufficient_data or no_reference")
    message: str | None
    reference_dataset_id: str | None
    reference_rows: int
    current_rows: int
    drifted_features: int
    drift_share: float
    dataset_drift: bool
    drifted: list[str]
    features: list[dict[str, Any]]
    prediction: dict[str, Any] | None
