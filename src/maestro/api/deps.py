"""Request dependencies: the app context, and authentication followed by rate limiting."""

from typing import Annotated

from fastapi import Depends, Request

from maestro.api import state
from maestro.api.context import AppContext
from maestro.errors import RateLimited, Unauthenticated
from maestro.observability import metrics
from maestro.ratelimit import RateLimitPolicy
from maestro.services.identity import KEY_PREFIX, AuthenticatedUser
from maestro.services.principal import Principal


async def get_context(request: Request) -> AppContext:
    # async: an attribute read needs no trip through the threadpool, which a plain def costs
    return request.app.state.ctx


Context = Annotated[AppContext, Depends(get_context)]


def _bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip().startswith(KEY_PREFIX):
        return None
    return credentials.strip()


def _enforce(
    request: Request, ctx: AppContext, key: str, policy: RateLimitPolicy, tenant_label: str
) -> None:
    decision = ctx.rate_limiter.hit(key, policy)
    state.request_state(request.scope)[state.RATE_LIMIT] = (decision, policy)
    if not decision.allowed:
        endpoint = request.app.state.route_resolver.resolve(request.url.path)
        metrics.RATE_LIMIT_EXCEEDED.labels(tenant_id=tenant_label, endpoint=endpoint).inc()
        raise RateLimited(
            "rate limit exceeded; retry later",
            details={"retry_after_seconds": max(1, round(decision.retry_after))},
        )


def authenticate(request: Request, ctx: Context) -> Principal:
    """Resolve the API key, then charge the caller's rate-limit budget.

    A caller without a valid key is limited by client address before being refused, so key
    guessing is throttled too; an authenticated caller is limited per tenant (per user for the
    platform admin), which is what every replica shares through Redis.
    """
    early = state.request_state(request.scope).get(state.PRINCIPAL)
    if early is not None:  # api/early_auth.py did all of this before reading the body
        return early
    key = _bearer_key(request)
    if key is None:
        enforce_anonymous(request, ctx)
        raise Unauthenticated("missing or malformed bearer API key")
    try:
        with ctx.db.read_session() as session:
            user = ctx.identity.authenticate(session, key)
    except Unauthenticated:
        enforce_anonymous(request, ctx)
        raise
    return admit(request, ctx, user)


def admit(request: Request, ctx: AppContext, user: AuthenticatedUser) -> Principal:
    """Record activity, label the request with the tenant and charge its rate limit.

    Shared by API keys and console sessions, so both count against one tenant budget.
    """
    principal = user.principal
    if user.last_seen_is_stale:  # at most once a minute per user: the only write of auth
        with ctx.db.session() as session:
            ctx.identity.touch(session, principal.user_id)
    tenant_label = principal.tenant_slug or metrics.ANONYMOUS_TENANT
    state.request_state(request.scope)[state.TENANT] = tenant_label
    bucket = f"tenant:{principal.tenant_id}" if principal.tenant_id else f"user:{principal.user_id}"
    policy = ctx.tenant_policy(user.rate_limit_rpm, user.rate_limit_burst)
    _enforce(request, ctx, bucket, policy, tenant_label)
    return principal


def enforce_anonymous(request: Request, ctx: AppContext) -> None:
    """Charge an unauthenticated caller's per-address budget (throttles key guessing)."""
    client = request.client.host if request.client else "unknown"
    _enforce(request, ctx, f"ip:{client}", ctx.anonymous_policy, metrics.ANONYMOUS_TENANT)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
