"""FastAPI application factory."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from maestro import __version__
from maestro.api.body_limit import BodySizeLimitMiddleware
from maestro.api.context import AppContext
from maestro.api.deps import authenticate
from maestro.api.early_auth import EarlyAuthMiddleware, envelope
from maestro.api.errors import install_error_handlers
from maestro.api.middleware import RateLimitHeadersMiddleware
from maestro.api.openapi import install_openapi
from maestro.api.request_head import RequestHeadMiddleware
from maestro.api.routers import (
    cards,
    datasets,
    discovery,
    experiments,
    health,
    model_health,
    models,
    tenants,
    training,
    users,
)
from maestro.api.security_headers import SecurityHeadersMiddleware
from maestro.db.migrate import upgrade_to_head
from maestro.db.session import Database
from maestro.jobs.registry import registered_kinds
from maestro.mlflow_compat.errors import mlflow_shape
from maestro.mlflow_compat.routers import artifacts as mlflow_artifacts
from maestro.mlflow_compat.routers import registry as mlflow_registry
from maestro.mlflow_compat.routers import tracking as mlflow_tracking
from maestro.observability import metrics
from maestro.observability.collector import DatabaseStateCollector
from maestro.observability.exposition import MetricsExposition, build_registry
from maestro.observability.job_collector import JobPipelineCollector
from maestro.observability.middleware import PrometheusMiddleware, RouteResolver
from maestro.observability.model_health import ModelHealthCollector
from maestro.ratelimit import RateLimiter, rate_limiter_from_url
from maestro.settings import Settings, get_settings
from maestro.web import error_page as console_error_page
from maestro.web import router as console_router

API_PREFIX = "/api/v1"
MLFLOW_PREFIX = "/api/2.0/"  # the MLflow-compatible API (tracking, artifacts, registry)
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
    (API_PREFIX, model_health.router),
    ("", console_router),  # the web console (and the offline /docs and /redoc pages)
    # The MLflow-compatible API at MLflow's own paths; its catch-all (ENDPOINT_NOT_FOUND) last.
    ("", mlflow_tracking.router),
    ("", mlflow_artifacts.router),
    ("", mlflow_registry.router),
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
        metrics.init_job_counters(registered_kinds())  # the kinds are loaded by now
        ctx.job_metrics.start()
        ctx.orphan_sweep.start()
        ctx.prediction_log.start()
        ctx.drift_scheduler.start()
        if settings.serving_warm_on_start:
            ctx.serving.pool.warm()
        yield
        ctx.serving.pool.stop_workers()  # the pool outlives the app: its processes must not
        ctx.drift_scheduler.stop()
        ctx.prediction_log.stop()
        ctx.orphan_sweep.stop()
        ctx.jobs.stop()
        ctx.job_metrics.stop()
        if database is None:
            db.dispose()

    app = FastAPI(
        title="Maestro ML Platform",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served by the console from vendored assets: they work offline
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.metrics = MetricsExposition(
        build_registry(),
        [
            DatabaseStateCollector(
                db,
                ctx.quotas,
                active_window_seconds=settings.active_user_window_seconds,
                cache_seconds=settings.metrics_cache_seconds,
                tenant_window_seconds=settings.metrics_active_tenants_seconds,
            ),
            JobPipelineCollector(
                db, registered_kinds, cache_seconds=settings.metrics_cache_seconds
            ),
            ModelHealthCollector(
                db,
                window_seconds=settings.feedback_window_seconds,
                cache_seconds=settings.metrics_cache_seconds,
            ),
        ],
    )
    install_error_handlers(app, error_page=console_error_page)
    for prefix, router in ROUTERS:
        app.include_router(router, prefix=prefix)
    install_openapi(app, authenticate)
    resolver = RouteResolver(route_templates(ROUTERS))
    app.state.route_resolver = resolver

    app.add_middleware(
        EarlyAuthMiddleware,
        prefixes={API_PREFIX: envelope, MLFLOW_PREFIX: mlflow_shape},
    )
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        json_limit=settings.max_request_body_bytes,
        upload_limit=settings.max_upload_bytes,
        predict_limit=settings.max_predict_body_bytes,
    )
    app.add_middleware(RequestHeadMiddleware, max_header_bytes=settings.max_request_header_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(PrometheusMiddleware, resolver=resolver)
    if settings.forwarded_allow_ips:  # else X-Forwarded-For is ignored: anyone can forge it
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    return app


def create_app_from_env() -> FastAPI:
    """Entry point for gunicorn/uvicorn `--factory`: settings come from the environment."""
    return create_app()
