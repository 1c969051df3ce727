"""Tenants (platform admin) and their quota usage."""

from fastapi import APIRouter, Response, status

from maestro.api.context import AppContext
from maestro.api.deps import Context, CurrentPrincipal
from maestro.api.schemas.common import Cursor, Page, PageLimit
from maestro.api.schemas.tenancy import (
    PredictionLogOut,
    RateLimitOut,
    ResourceUsageOut,
    TenantCreate,
    TenantOut,
    TenantPatch,
    UsageOut,
)
from maestro.db.models import Tenant
from maestro.services.tenants import RateLimitOverride

router = APIRouter(prefix="/tenants", tags=["tenants"])


def tenant_out(ctx: AppContext, tenant: Tenant) -> TenantOut:
    policy = ctx.tenant_policy(tenant.rate_limit_rpm, tenant.rate_limit_burst)
    bounds = ctx.prediction_log.bounds(tenant)
    return TenantOut(
        id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        quotas=ctx.quotas.limits(tenant.quota_overrides),
        rate_limit=RateLimitOut(requests_per_minute=policy.requests_per_minute, burst=policy.burst),
        prediction_log=PredictionLogOut(
            retention_days=bounds.retention_days,
            max_bytes=bounds.max_bytes,
            retention_days_override=tenant.prediction_log_retention_days,
            max_bytes_override=tenant.prediction_log_max_bytes,
        ),
        created_at=tenant.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_tenant(body: TenantCreate, ctx: Context, principal: CurrentPrincipal) -> TenantOut:
    rate_limit = None
    if body.rate_limit:
        rate_limit = RateLimitOverride(body.rate_limit.requests_per_minute, body.rate_limit.burst)
    with ctx.db.session() as session:
        tenant = ctx.tenants.create(
            session,
            principal,
            slug=body.slug,
            name=body.name,
            quotas=dict(body.quotas),
            rate_limit=rate_limit,
            prediction_log=(
                body.prediction_log.model_dump(exclude_unset=True) if body.prediction_log else None
            ),
        )
        return tenant_out(ctx, tenant)


@router.get("")
def list_tenants(
    ctx: Context, principal: CurrentPrincipal, limit: PageLimit = 50, cursor: Cursor = None
) -> Page[TenantOut]:
    with ctx.db.read_session() as session:
        page = ctx.tenants.list(session, principal, limit=limit, cursor=cursor)
        return Page(items=[tenant_out(ctx, t) for t in page.items], next_cursor=page.next_cursor)


@router.get("/{tenant}")
def get_tenant(tenant: str, ctx: Context, principal: CurrentPrincipal) -> TenantOut:
    with ctx.db.read_session() as session:
        return tenant_out(ctx, ctx.tenants.get(session, principal, tenant))


@router.patch("/{tenant}")
def update_tenant(
    tenant: str, body: TenantPatch, ctx: Context, principal: CurrentPrincipal
) -> TenantOut:
    changes = body.model_dump(exclude_unset=True)
    with ctx.db.session() as session:
        return tenant_out(ctx, ctx.tenants.update(session, principal, tenant, changes))


@router.delete("/{tenant}", status_code=status.HTTP_204_NO_CONTENT)
def delete_tenant(tenant: str, ctx: Context, principal: CurrentPrincipal) -> Response:
    with ctx.db.session() as session:
        ctx.tenants.delete(session, principal, tenant)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{tenant}/usage")
def tenant_usage(tenant: str, ctx: Context, principal: CurrentPrincipal) -> UsageOut:
    with ctx.db.read_session() as session:
        usage = ctx.tenants.usage(session, principal, tenant)
    return UsageOut(
        tenant=tenant,
        resources={
            name: ResourceUsageOut(used=u.used, limit=u.limit, ratio=u.ratio)
            for name, u in usage.items()
        },
    )
