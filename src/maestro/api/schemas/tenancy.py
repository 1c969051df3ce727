"""Tenants, users, API keys, /me and usage."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from maestro.api.schemas.common import JSON_NUMBER, JsonInt, Name, RequestModel, Slug
from maestro.services.prediction_log import MAX_LOG_BYTES, MAX_RETENTION_DAYS
from maestro.services.quotas import ResourceType

# The constraint before the validator: pydantic then documents it as minimum/maximum.
QuotaLimit = Annotated[int, Field(ge=0, le=2**53), JSON_NUMBER] | None
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]


class RateLimitIn(RequestModel):
    requests_per_minute: JsonInt = Field(ge=1, le=1_000_000)
    burst: JsonInt = Field(ge=1, le=100_000)


class RateLimitPatch(RequestModel):
    requests_per_minute: Annotated[int, Field(ge=1, le=1_000_000), JSON_NUMBER] | None = None
    burst: Annotated[int, Field(ge=1, le=100_000), JSON_NUMBER] | None = None


class PredictionLogPatch(RequestModel):
    """The tenant's prediction log bounds; a field given as `null` returns to the default."""

    retention_days: Annotated[float, Field(gt=0, le=MAX_RETENTION_DAYS), JSON_NUMBER] | None = (
        Field(default=None, description="rows older than this many days are deleted")
    )
    max_bytes: Annotated[int, Field(ge=1, le=MAX_LOG_BYTES), JSON_NUMBER] | None = Field(
        default=None, description="beyond this size the oldest rows are deleted first"
    )


class TenantCreate(RequestModel):
    slug: Slug
    name: Name
    quotas: dict[ResourceType, QuotaLimit] = Field(default_factory=dict)
    rate_limit: RateLimitIn | None = None
    prediction_log: PredictionLogPatch | None = Field(
        default=None, description="the tenant's prediction log bounds; omitted: the defaults"
    )


class TenantPatch(RequestModel):
    """Any subset of the fields; `name` and `quotas` cannot be null (a quota value can)."""

    name: Name = Field(default=None, validate_default=False)  # type: ignore[assignment]
    quotas: dict[ResourceType, QuotaLimit] = Field(
        default=None,  # type: ignore[arg-type]
        validate_default=False,
        description="merged into the current quotas; a `null` value means unlimited",
    )
    rate_limit: RateLimitPatch | None = Field(default=None, description="null: the defaults")
    prediction_log: PredictionLogPatch | None = Field(
        default=None, description="merged into the current bounds; null: the defaults"
    )


class RateLimitOut(BaseModel):
    requests_per_minute: int
    burst: int


class PredictionLogOut(BaseModel):
    retention_days: float
    max_bytes: int
    retention_days_override: float | None = Field(description="null: the platform default")
    max_bytes_override: int | None = Field(description="null: the platform default")


class TenantOut(BaseModel):
    id: str
    slug: str
    name: str
    quotas: dict[str, int | None]
    rate_limit: RateLimitOut
    prediction_log: PredictionLogOut
    created_at: datetime


class UserCreate(RequestModel):
    username: Username
    role: Literal["owner", "member", "viewer"]


class UserPatch(RequestModel):
    role: Literal["owner", "member", "viewer"] | None = None
    disabled: bool | None = None


class UserOut(BaseModel):
    id: str
    username: str
    role: str
    tenant: str | None
    created_at: datetime
    disabled: bool = False


class ApiKeyCreate(RequestModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ApiKeyOut(BaseModel):
    id: str
    key: str = Field(description="Shown once; only its hash is stored.")
    prefix: str
    name: str


class MeUser(BaseModel):
    id: str
    username: str
    role: str


class MeOut(BaseModel):
    user: MeUser
    tenant: str | None
    role: str


class ResourceUsageOut(BaseModel):
    used: int
    limit: int | None
    ratio: float


class UsageOut(BaseModel):
    tenant: str
    resources: dict[str, ResourceUsageOut]
