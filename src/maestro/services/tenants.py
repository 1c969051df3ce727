"""Tenant lifecycle: create, read, update, delete (admin only, except reading one's own)."""

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maestro.db.models import Dataset, ModelVersion, Tenant
from maestro.errors import Conflict, NotFound, ValidationFailed
from maestro.services.pagination import Page, paginate
from maestro.services.prediction_log import MAX_LOG_BYTES, MAX_RETENTION_DAYS
from maestro.services.principal import Principal
from maestro.services.quotas import QuotaPolicy, ResourceUsage
from maestro.services.transactions import after_commit
from maestro.storage import ArtifactStore

logger = logging.getLogger("maestro.tenants")

RESERVED_SLUGS = frozenset({"anonymous", "admin", "platform"})


@dataclass(frozen=True)
class RateLimitOverride:
    requests_per_minute: int | None
    burst: int | None


class TenantService:
    def __init__(self, quota_policy: QuotaPolicy, artifacts: ArtifactStore | None = None) -> None:
        self.quotas = quota_policy
        self.artifacts = artifacts

    def create(
        self,
        session: Session,
        principal: Principal,
        *,
        slug: str,
        name: str,
        quotas: dict[str, int | None],
        rate_limit: RateLimitOverride | None,
        prediction_log: dict[str, Any] | None = None,
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
        if prediction_log:
            _set_log_bounds(tenant, prediction_log)
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
        for required in ("name", "quotas"):
            if required in changes and changes[required] is None:
                raise ValidationFailed(f"{required} cannot be null", details={"field": required})
        if "name" in changes:
            tenant.name = changes["name"]
        if "quotas" in changes:
            # A PATCH merges: keys given replace, keys absent keep their current override.
            tenant.quota_overrides = {**tenant.quota_overrides, **changes["quotas"]}
        if "rate_limit" in changes:
            rate_limit = changes["rate_limit"]
            if rate_limit is None:  # back to the platform defaults
                rate_limit = {"requests_per_minute": None, "burst": None}
            if "requests_per_minute" in rate_limit:
                tenant.rate_limit_rpm = rate_limit["requests_per_minute"]
            if "burst" in rate_limit:
                tenant.rate_limit_burst = rate_limit["burst"]
        if "prediction_log" in changes:
            _set_log_bounds(tenant, changes["prediction_log"])
        session.flush()
        return tenant

    def delete(self, session: Session, principal: Principal, slug: str) -> None:
        """Delete the tenant; its rows cascade, its artifacts and dataset files go after commit.

        A crash between the commit and the last delete leaves objects without a row, which the
        orphan sweep reclaims (`maestro.services.orphans`).
        """
        tenant = self.get(session, principal, slug)
        principal.require_admin()
        keys = (
            *session.scalars(select(Dataset.storage_key).where(Dataset.tenant_id == tenant.id)),
            *session.scalars(
                select(ModelVersion.storage_key).where(ModelVersion.tenant_id == tenant.id)
            ),
        )
        session.delete(tenant)
        if self.artifacts is not None:
            after_commit(session, lambda: self._purge(keys))

    def _purge(self, keys: tuple[str, ...]) -> None:
        assert self.artifacts is not None
        for key in keys:
            try:
                self.artifacts.delete(key)
            except Exception:  # the sweep gets it later; the delete itself is committed
                logger.exception("could not delete artifact %s of a deleted tenant", key)

    def usage(self, session: Session, principal: Principal, slug: str) -> dict[str, ResourceUsage]:
        return self.quotas.usage(session, self.get(session, principal, slug))


def _set_log_bounds(tenant: Tenant, bounds: dict[str, Any] | None) -> None:
    """Merge prediction log bounds; a `None` value (or `None` for both) means the default."""
    if bounds is None:
        bounds = {"retention_days": None, "max_bytes": None}
    if "retention_days" in bounds:
        days = bounds["retention_days"]
        if days is not None and not 0 < days <= MAX_RETENTION_DAYS:
            raise ValidationFailed(
                f"prediction_log.retention_days must be above 0 and at most {MAX_RETENTION_DAYS:g}",
                details={"field": "prediction_log.retention_days"},
            )
        tenant.prediction_log_retention_days = days
    if "max_bytes" in bounds:
        size = bounds["max_bytes"]
        if size is not None and not 0 < size <= MAX_LOG_BYTES:
            raise ValidationFailed(
                f"prediction_log.max_bytes must be above 0 and at most {MAX_LOG_BYTES}",
                details={"field": "prediction_log.max_bytes"},
            )
        tenant.prediction_log_max_bytes = size
