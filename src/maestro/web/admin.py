"""Administration pages: tenants for the platform admin; users and API keys for a tenant owner.

Inputs are validated by the API's own request schemas, and every change goes through the same
service calls as the API, so the console can do nothing a key with the same role could not.
"""

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from maestro.api.deps import Context
from maestro.api.schemas.tenancy import TenantCreate, TenantPatch, UserCreate, UserPatch
from maestro.errors import Forbidden, NotFound, ValidationFailed
from maestro.services.identity import IssuedKey
from maestro.services.principal import TENANT_ROLES, Principal, Role
from maestro.services.quotas import RESOURCE_TYPES
from maestro.web.auth import Signed, Writer
from maestro.web.security import ConsoleRoute
from maestro.web.templating import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50
ROLES = tuple(r.value for r in TENANT_ROLES)
M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], values: dict[str, Any]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        raise ValidationFailed("invalid " + ", ".join(fields)) from exc


def _own_tenant(principal: Principal) -> str:
    """Users and keys pages are for a tenant's owner; the platform admin manages tenants."""
    if principal.tenant_slug is None:
        raise NotFound("the platform admin manages tenants, not users; open a tenant")
    if principal.role is not Role.OWNER:
        raise Forbidden("managing users and keys needs the owner role")
    return principal.tenant_slug


# --- tenants (platform admin) ---------------------------------------------------------------


@router.get("/admin/tenants")
def tenants_page(
    request: Request,
    ctx: Context,
    user: Signed,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    with ctx.db.read_session() as session:
        page = ctx.tenants.list(session, user.principal, limit=PAGE_SIZE, cursor=cursor)
        rows = [(t, ctx.quotas.usage(session, t)) for t in page.items]
        return render(
            request,
            "admin_tenants.html",
            {"rows": rows, "next_cursor": page.next_cursor, "resources": RESOURCE_TYPES},
        )


@router.post("/admin/tenants")
def create_tenant(
    ctx: Context,
    user: Writer,
    slug: Annotated[str, Form(max_length=63)],
    name: Annotated[str, Form(max_length=200)],
) -> Response:
    body = _parse(TenantCreate, {"slug": slug.strip(), "name": name})
    with ctx.db.session() as session:
        ctx.tenants.create(
            session, user.principal, slug=body.slug, name=body.name, quotas={}, rate_limit=None
        )
    return RedirectResponse(f"/admin/tenants/{body.slug}", status_code=303)


@router.get("/admin/tenants/{slug}")
def tenant_page(request: Request, slug: str, ctx: Context, user: Signed) -> Response:
    user.principal.require_admin()
    with ctx.db.read_session() as session:
        tenant = ctx.tenants.get(session, user.principal, slug)
        usage = ctx.quotas.usage(session, tenant)
        policy = ctx.tenant_policy(tenant.rate_limit_rpm, tenant.rate_limit_burst)
        return render(
            request,
            "admin_tenant.html",
            {
                "tenant": tenant,
                "usage": usage,
                "policy": policy,
                "overrides": tenant.quota_overrides,
                "log_bounds": ctx.prediction_log.bounds(tenant),
            },
        )


@router.post("/admin/tenants/{slug}")
async def update_tenant(request: Request, slug: str, ctx: Context, user: Writer) -> Response:
    """Quotas (`quota_<resource>`; blank = unlimited; absent = unchanged), the rate limit and
    the prediction log bounds (`log_retention_days`, `log_max_bytes`; blank = the default)."""
    form = await request.form()
    quotas: dict[str, int | None] = {}
    for resource in RESOURCE_TYPES:
        if f"quota_{resource}" not in form:
            continue  # a field the form did not send keeps its current limit
        raw = str(form.get(f"quota_{resource}", "")).strip()
        quotas[resource] = int(raw) if raw.isdigit() else None
        if raw and not raw.isdigit():
            raise ValidationFailed(f"the {resource} quota must be a whole number or blank")
    rate = {
        key: int(str(form.get(key, "")).strip())
        for key in ("requests_per_minute", "burst")
        if str(form.get(key, "")).strip().isdigit()
    }
    fields: dict[str, object] = {"quotas": quotas, "rate_limit": rate}
    if name := str(form.get("name", "")).strip():  # blank or absent: the name stays
        fields["name"] = name
    fields["prediction_log"] = _log_bounds(form)
    body = _parse(TenantPatch, fields)
    changes = body.model_dump(exclude_none=True)
    changes["quotas"] = dict(body.quotas or {})
    if body.prediction_log is not None:  # a null in it is meaningful: back to the default
        changes["prediction_log"] = body.prediction_log.model_dump(exclude_unset=True)

    def apply() -> None:
        with ctx.db.session() as session:
            ctx.tenants.update(session, user.principal, slug, changes)

    await run_in_threadpool(apply)
    return RedirectResponse(f"/admin/tenants/{slug}", status_code=303)


def _log_bounds(form: Any) -> dict[str, float | int | None]:
    """The prediction log fields the form sent, as numbers; blank means the default."""
    bounds: dict[str, float | int | None] = {}
    for field, key, kind in (
        ("log_retention_days", "retention_days", float),
        ("log_max_bytes", "max_bytes", int),
    ):
        if field not in form:
            continue
        raw = str(form.get(field, "")).strip()
        try:
            bounds[key] = kind(raw) if raw else None
        except ValueError:
            raise ValidationFailed(f"invalid prediction_log.{key}: {raw[:40]!r}") from None
    return bounds


# --- users and keys (tenant owner) ----------------------------------------------------------


@router.get("/admin/users")
def users_page(
    request: Request,
    ctx: Context,
    user: Signed,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    slug = _own_tenant(user.principal)
    with ctx.db.read_session() as session:
        page = ctx.identity.list_users(
            session, user.principal, slug, limit=PAGE_SIZE, cursor=cursor
        )
        return render(
            request,
            "admin_users.html",
            {"users": page.items, "next_cursor": page.next_cursor, "roles": ROLES},
        )


@router.post("/admin/users")
def add_user(
    ctx: Context,
    user: Writer,
    username: Annotated[str, Form(max_length=63)],
    role: Annotated[str, Form(max_length=16)],
) -> Response:
    slug = _own_tenant(user.principal)
    body = _parse(UserCreate, {"username": username.strip(), "role": role})
    with ctx.db.session() as session:
        created = ctx.identity.create_user(
            session, user.principal, slug, body.username, Role(body.role)
        )
        user_id = created.id
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}")
def update_user(
    user_id: str,
    ctx: Context,
    user: Writer,
    role: Annotated[str | None, Form(max_length=16)] = None,
    disabled: Annotated[str | None, Form(max_length=5)] = None,
) -> Response:
    body = _parse(
        UserPatch,
        {"role": role or None, "disabled": None if disabled is None else disabled == "true"},
    )
    with ctx.db.session() as session:
        ctx.identity.update_user(
            session,
            user.principal,
            user_id,
            role=Role(body.role) if body.role else None,
            disabled=body.disabled,
        )
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/delete")
def delete_user(
    user_id: str,
    ctx: Context,
    user: Writer,
    confirm: Annotated[str, Form(max_length=63)] = "",
) -> Response:
    """The confirm step: the form carries the username typed back, checked before deleting."""
    with ctx.db.session() as session:
        target = ctx.identity.get_user(session, user.principal, user_id)
        if confirm.strip() != target.username:
            raise ValidationFailed(
                f"type the username {target.username!r} to confirm the deletion",
                details={"confirm": "mismatch"},
            )
        ctx.identity.delete_user(session, user.principal, user_id)
    return RedirectResponse("/admin/users", status_code=303)


def _user_page(
    request: Request, ctx: Context, user: Signed, user_id: str, issued: IssuedKey | None
) -> Response:
    with ctx.db.read_session() as session:
        target = ctx.identity.get_user(session, user.principal, user_id)
        keys = ctx.identity.list_keys(session, user.principal, user_id)
        context = {"target": target, "keys": keys, "issued": issued, "roles": ROLES}
        return render(request, "admin_user.html", context)


@router.get("/admin/users/{user_id}")
def user_page(request: Request, user_id: str, ctx: Context, user: Signed) -> Response:
    _own_tenant(user.principal)
    return _user_page(request, ctx, user, user_id, None)


@router.post("/admin/users/{user_id}/keys")
def create_key(
    request: Request,
    user_id: str,
    ctx: Context,
    user: Writer,
    name: Annotated[str, Form(min_length=1, max_length=100)],
) -> Response:
    """The new key is in this response only: shown once, never stored in clear."""
    with ctx.db.session() as session:
        issued = ctx.identity.create_key(session, user.principal, user_id, name.strip())
    return _user_page(request, ctx, user, user_id, issued)


@router.post("/admin/keys/{key_id}/revoke")
def revoke_key(
    key_id: str, ctx: Context, user: Writer, user_id: Annotated[str, Form(max_length=36)]
) -> Response:
    with ctx.db.session() as session:
        ctx.identity.delete_key(session, user.principal, key_id)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)
