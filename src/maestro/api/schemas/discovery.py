"""Feature discovery shapes: the request and the job with its report."""

from typing import Any

from pydantic import Field

from maestro.api.schemas.common import RequestModel
from maestro.api.schemas.training import JobOut


class DiscoveryCreate(RequestModel):
    target: str | None = Field(
        default=None, max_length=500, description="without it, relevance and leakage are skipped"
    )


class DiscoveryJobOut(JobOut):
    dataset_id: str | None
    target: str | None
    report: dict[str, Any] | None = Field(description="the DiscoveryReport, when done")
