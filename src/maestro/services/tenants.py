"""Tenant lifecycle: create, read, update, delete (admin only, except reading one's own)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maestro.db.models import Tenant
from maestro.errors import Conflict, NotFound
from maestro.services.pagination import Page, paginate
from maestro.services.principal import Principal
from maestro.services.quotas import QuotaPolicy, ResourceUsage

RESERVED_SLUGS = frozenset({"anonymous", "admin", "platform"})


@dataclass(frozen=True)
class RateLimitOverride:
    requests_per_minute: int | None
    burst: int | None


class TenantService:
    def __init__(self, quota_policy: QuotaPolicy) -> None:
        self.quotas = quota_policy

    def create(
        self,
        session: Session,
        principal: Principal,
        *,
        slug: str,
        name: str,
        quotas: dict[str, int | None],
        rate_limit: RateLimitOverride | None,
    ) -> Tenant:
        principal.require_admin()
        if slug in RESERVED_SLUGS:
            raise Conflict(f"tenant slug {slug!r} is reserved")
        if session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
            raise Conflict(f"tenant {slug!r} already exists")
        tenant = Tenant(slug=slug, name=name, quota_overrides=dict(quotas))
        if rate_limit:
            tenant.rate_limit_rpm = rate_limit.requests_per_minute
            tenant.rate_limit_burst = rate_limit.burst
        session.add(tenant)
        try:
            session.flush()
        except IntegrityError as exc:  # a concurrent create won the race
            raise Conflict(f"tenant {slug!r} already exists") from exc
        self.quotas.initialise(session, tenant)
        return tenant

    def get(self, session: Session, principal: Principal, slug: str) -> Tenant:
        principal.check_tenant_access(slug)
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            raise NotFound(f"tenant {slug!r} not found")
        return tenant

    def list(
        self, session: Session, principal: Principal, *, limit: int, cursor: str | None
    ) -> Page[Tenant]:
        principal.require_admin()
        return paginate(
            session,
            select(Tenant),
            created_at=Tenant.created_at,
            row_id=Tenant.id,
            limit=limit,
            cursor=cursor,
        )

    def update(
        self, session: Session, principal: Principal, slug: str, changes: dict[str, Any]
    ) -> Tenant:
        tenant = self.get(session, principal, slug)  # another tenant's is NotFound, not Forbidden
        principal.require_admin()
        if "name" in changes:
            tenant.name = changes["name"]
        if "quotas" in changes:
            # A PATCH merges: keys given replace, keys absent keep their current override.
            tenant.quota_overrides = {**tenant.quota_overrides, **changes["quotas"]}
        if "rate_limit" in changes:
            rate_limit = changes["rate_limit"] or {}
            if "requests_per_minute" in rate_limit:
                tenant.rate_limit_rpm = rate_limit["requests_per_minute"]
            if "burst" in rate_limit:
                tenant.rate_limit_burst = rate_limit["burst"]
        session.flush()
        return tenant

    def delete(self, session: Session, principal: Principal, slug: str) -> None:
        tenant = self.get(session, principal, slug)
        principal.require_admin()
        session.delete(tenant)

    def usage(self, session: Session, principal: Principal, slug: str) -> dict[str, ResourceUsage]:
        return self.quotas.usage(session, self.get(session, principal, slug))
