"""Tenants, users, API keys, /me and usage."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from maestro.api.schemas.common import Name, RequestModel, Slug
from maestro.services.quotas import ResourceType

QuotaLimit = Annotated[int, Field(ge=0)] | None
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]


class RateLimitIn(RequestModel):
    requests_per_minute: int = Field(ge=1, le=1_000_000)
    burst: int = Field(ge=1, le=100_000)


class RateLimitPatch(RequestModel):
    requests_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)
    burst: int | None = Field(default=None, ge=1, le=100_000)


class TenantCreate(RequestModel):
    slug: Slug
    name: Name
    quotas: dict[ResourceType, QuotaLimit] = Field(default_factory=dict)
    rate_limit: RateLimitIn | None = None


class TenantPatch(RequestModel):
    name: Name | None = None
    quotas: dict[ResourceType, QuotaLimit] | None = None
    rate_limit: RateLimitPatch | None = None


class RateLimitOut(BaseModel):
    requests_per_minute: int
    burst: int


class TenantOut(BaseModel):
    id: str
    slug: str
    name: str
    quotas: dict[str, int | None]
    rate_limit: RateLimitOut
    created_at: datetime


class UserCreate(RequestModel):
    username: Username
    role: Literal["owner", "member", "viewer"]


class UserOut(BaseModel):
    id: str
    username: str
    role: str
    tenant: str | None
    created_at: datetime


class ApiKeyCreate(RequestModel):
    name: Name


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
