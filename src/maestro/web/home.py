"""The tenant home page: quota usage, rate limit and recent activity."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from maestro.api.deps import Context
from maestro.services import activity
from maestro.web.auth import Signed
from maestro.web.security import ConsoleRoute
from maestro.web.templating import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

WARNING_RATIO = 0.8


@router.get("/")
def home(request: Request, ctx: Context, user: Signed) -> Response:
    principal = user.principal
    if principal.tenant_slug is None:  # the platform admin has no tenant: show the tenants
        return RedirectResponse("/admin/tenants", status_code=303)
    with ctx.db.read_session() as session:
        tenant = ctx.tenants.get(session, principal, principal.tenant_slug)
        usage = ctx.quotas.usage(session, tenant)
        policy = ctx.tenant_policy(tenant.rate_limit_rpm, tenant.rate_limit_burst)
        versions = activity.recent_versions(session, principal)
        experiments = ctx.experiments.list(session, principal, limit=5, newest_first=True).items
        jobs = ctx.jobs.list(session, principal, limit=5, newest_first=True).items
        return render(
            request,
            "home.html",
            {
                "tenant": tenant,
                "usage": usage,
                "warning_ratio": WARNING_RATIO,
                "policy": policy,
                "versions": versions,
                "experiments": experiments,
                "jobs": jobs,
            },
        )
