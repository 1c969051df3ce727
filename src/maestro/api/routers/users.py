"""Users of a tenant, their API keys, and who am I."""

from fastapi import APIRouter, Response, status

from maestro.api.deps import Context, CurrentPrincipal
from maestro.api.schemas.common import Cursor, Page, PageLimit
from maestro.api.schemas.tenancy import (
    ApiKeyCreate,
    ApiKeyOut,
    MeOut,
    MeUser,
    UserCreate,
    UserOut,
    UserPatch,
)
from maestro.db.models import User
from maestro.services.principal import Role

router = APIRouter(tags=["users"])


def user_out(user: User, tenant_slug: str | None) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=user.role,
        tenant=tenant_slug,
        created_at=user.created_at,
        disabled=user.disabled,
    )


@router.post("/tenants/{tenant}/users", status_code=status.HTTP_201_CREATED)
def create_user(
    tenant: str, body: UserCreate, ctx: Context, principal: CurrentPrincipal
) -> UserOut:
    with ctx.db.session() as session:
        user = ctx.identity.create_user(session, principal, tenant, body.username, Role(body.role))
        return user_out(user, tenant)


@router.get("/tenants/{tenant}/users")
def list_users(
    tenant: str,
    ctx: Context,
    principal: CurrentPrincipal,
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> Page[UserOut]:
    with ctx.db.read_session() as session:
        page = ctx.identity.list_users(session, principal, tenant, limit=limit, cursor=cursor)
        return Page(items=[user_out(u, tenant) for u in page.items], next_cursor=page.next_cursor)


@router.patch("/users/{user_id}")
def update_user(
    user_id: str, body: UserPatch, ctx: Context, principal: CurrentPrincipal
) -> UserOut:
    """Change a user's role or disable them; a disabled user's keys and sessions stop at once.

    Demoting or disabling yourself, or the tenant's last enabled owner, is a 409 `conflict`."""
    with ctx.db.session() as session:
        user = ctx.identity.update_user(
            session,
            principal,
            user_id,
            role=Role(body.role) if body.role else None,
            disabled=body.disabled,
        )
        return user_out(user, user.tenant.slug if user.tenant else None)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: str, ctx: Context, principal: CurrentPrincipal) -> Response:
    """Delete a user (tenant owner or platform admin); its API keys and console sessions end at
    once and its `users` quota is given back. Deleting yourself or the tenant's last enabled
    owner is a 409 `conflict`; jobs and experiments it created are kept."""
    with ctx.db.session() as session:
        ctx.identity.delete_user(session, principal, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/users/{user_id}/api-keys", status_code=status.HTTP_201_CREATED)
def create_api_key(
    user_id: str, body: ApiKeyCreate, ctx: Context, principal: CurrentPrincipal
) -> ApiKeyOut:
    with ctx.db.session() as session:
        issued = ctx.identity.create_key(session, principal, user_id, body.name)
    return ApiKeyOut(id=issued.id, key=issued.key, prefix=issued.prefix, name=issued.name)


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_api_key(key_id: str, ctx: Context, principal: CurrentPrincipal) -> Response:
    with ctx.db.session() as session:
        ctx.identity.delete_key(session, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
def me(principal: CurrentPrincipal) -> MeOut:
    return MeOut(
        user=MeUser(id=principal.user_id, username=principal.username, role=principal.role.value),
        tenant=principal.tenant_slug,
        role=principal.role.value,
    )
