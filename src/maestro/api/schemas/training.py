"""Training job shapes: the request, progress and the job as GET returns it."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from maestro.api.schemas.common import JsonFloat, JsonInt, RequestModel

ColumnName = str


class TrainingJobCreate(RequestModel):
    dataset_id: str = Field(max_length=36)
    target: ColumnName = Field(min_length=1, max_length=500)
    algorithm: str = Field(
        min_length=1,
        max_length=100,
        description="logistic_regression, linear_regression, ridge, random_forest, "
        "gradient_boosting",
    )
    task: Literal["classification", "regression", "auto"] = "auto"
    hyperparameters: dict[str, Any] = Field(
        default_factory=dict, description="estimator parameters, checked by scikit-learn"
    )
    feature_columns: list[ColumnName] | None = Field(
        default=None, max_length=10_000, description="default: every column but the target"
    )
    test_size: JsonFloat = Field(default=0.2, gt=0.0, lt=1.0)
    seed: JsonInt = Field(default=0, ge=0, le=2**32 - 1)
    evaluation_slices: list[ColumnName] = Field(
        default_factory=list, max_length=20, description="columns for per-slice metrics"
    )
    register_as: str | None = Field(
        default=None, max_length=100, description="model name (created if missing)"
    )


class Progress(BaseModel):
    stage: str
    percent: float


class JobAccepted(BaseModel):
    id: str
    status: str


class JobOut(BaseModel):
    """What every ML job shows: state, progress, the error of a failed one, timestamps."""

    id: str
    status: str
    progress: Progress | None
    error: str | None
    attempts: int
    max_attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class TrainingJobOut(JobOut):
    cancel_requested: bool
    request: dict[str, Any]
    dataset_id: str | None
    algorithm: str | None
    target: str | None
    model: str | None = Field(description="registered model name, when done")
    model_version: int | None
    experiment_id: str | None
    task: str | None
    metrics: dict[str, float | None] | None
    slice_metrics: list[dict[str, Any]] | None
    confusion_matrix: list[list[int]] | None
    classes: list[Any] | None
    features: list[str] | None
    dropped_features: dict[str, str] | None
    training_seconds: float | None
    duration_seconds: float | None
