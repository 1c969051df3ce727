"""Experiments and their metric points."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from maestro.api.schemas.common import JsonFloat, JsonInt, Name, RequestModel, UtcDateTime
from maestro.services.experiments import MAX_METRICS_PER_BATCH

Status = Literal["running", "completed", "failed", "cancelled"]
Tags = dict[Annotated[str, Field(max_length=200)], Annotated[str, Field(max_length=1000)]]


class ExperimentCreate(RequestModel):
    name: Name
    group: Name | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    tags: Tags = Field(default_factory=dict)


class ExperimentPatch(RequestModel):
    status: Status | None = Field(
        default=None, description="Only running -> completed, failed or cancelled; else 409."
    )
    tags: Tags | None = Field(default=None, description="Replaces the tags.")


class MetricPointIn(RequestModel):
    name: Name
    value: JsonFloat = Field(allow_inf_nan=False)
    # 2**53: exact as a JSON number in every client (JavaScript included)
    step: JsonInt = Field(default=0, ge=0, le=2**53)
    timestamp: UtcDateTime | None = Field(default=None, description="Defaults to the server time.")


class MetricBatch(RequestModel):
    metrics: list[MetricPointIn] = Field(min_length=1, max_length=MAX_METRICS_PER_BATCH)


class MetricPointOut(BaseModel):
    name: str
    value: float
    step: int
    timestamp: datetime


class MetricBatchOut(BaseModel):
    logged: int


class ExperimentOut(BaseModel):
    id: str
    name: str
    group: str | None
    status: Status
    params: dict[str, Any]
    tags: dict[str, str]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    latest_metrics: dict[str, MetricPointOut] | None = Field(
        default=None, description="Latest point of every series (single-experiment reads only)."
    )
