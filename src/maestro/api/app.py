"""FastAPI application factory."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from maestro import __version__
from maestro.api.body_limit import BodySizeLimitMiddleware
from maestro.api.context import AppContext
from maestro.api.errors import install_error_handlers
from maestro.api.middleware import RateLimitHeadersMiddleware
from maestro.api.routers import (
    cards,
    datasets,
    discovery,
    experiments,
    health,
    models,
    tenants,
    training,
    users,
)
from maestro.db.migrate import upgrade_to_head
from maestro.db.session import Database
from maestro.observability import metrics
from maestro.observability.collector import DatabaseStateCollector
from maestro.observability.exposition import build_registry
from maestro.observability.middleware import PrometheusMiddleware, RouteResolver
from maestro.ratelimit import RateLimiter, rate_limiter_from_url
from maestro.settings import Settings, get_settings

API_PREFIX = "/api/v1"
logger = logging.getLogger("maestro")


# (prefix, router) pairs mounted on the app; the metrics middleware derives its route templates
# from the same list, so every endpoint label is exactly a mounted path.
ROUTERS: list[tuple[str, APIRouter]] = [
    ("", health.router),
    (API_PREFIX, tenants.router),
    (API_PREFIX, users.router),
    (API_PREFIX, models.router),
    (API_PREFIX, experiments.router),
    (API_PREFIX, datasets.router),
    (API_PREFIX, training.router),
    (API_PREFIX, discovery.router),
    (API_PREFIX, cards.router),
]


def route_templates(routers: list[tuple[str, APIRouter]]) -> list[str]:
    return [
        prefix + route.path
        for prefix, router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
    ]


def bootstrap_admin(ctx: AppContext) -> None:
    """Create the platform admin with MAESTRO_BOOTSTRAP_ADMIN_KEY on first start (automation)."""
    if ctx.settings.bootstrap_admin_key is None:
        return
    key = ctx.settings.bootstrap_admin_key.get_secret_value()
    with ctx.db.session() as session:
        ctx.identity.create_platform_admin(session, "admin", key)
    logger.info("platform admin ready (key from MAESTRO_BOOTSTRAP_ADMIN_KEY)")


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    rate_limiter: RateLimiter | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    db = database or Database(settings.resolved_database_url)
    ctx = AppContext.build(settings, db, rate_limiter or rate_limiter_from_url(settings.redis_url))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade_to_head(db.engine)
        bootstrap_admin(ctx)
        metrics.mark_build_info()
        ctx.jobs.start(db)
        ctx.job_metrics.start()
        yield
        ctx.jobs.stop()
        ctx.job_metrics.stop()
        if database is None:
            db.dispose()

    app = FastAPI(
        title="Maestro ML Platform",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.metrics_registry = build_registry(
        DatabaseStateCollector(
            db,
            ctx.quotas,
            active_window_seconds=settings.active_user_window_seconds,
            cache_seconds=settings.metrics_cache_seconds,
        )
    )
    install_error_handlers(app)
    for prefix, router in ROUTERS:
        app.include_router(router, prefix=prefix)
    resolver = RouteResolver(route_templates(ROUTERS))
    app.state.route_resolver = resolver

    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        json_limit=settings.max_request_body_bytes,
        upload_limit=settings.max_upload_bytes,
        predict_limit=settings.max_predict_body_bytes,
    )
    app.add_middleware(PrometheusMiddleware, resolver=resolver)
    return app


def create_app_from_env() -> FastAPI:
    """Entry point for gunicorn/uvicorn `--factory`: settings come from the environment."""
    return create_app()
