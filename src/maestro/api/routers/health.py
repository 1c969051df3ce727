"""Liveness, readiness and the Prometheus scrape endpoint (never authenticated or limited)."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from maestro.api.deps import Context

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(ctx: Context) -> JSONResponse:
    try:
        with ctx.db.read_session() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request) -> Response:
    body, content_type = request.app.state.metrics.render(request.headers)
    return Response(body, media_type=content_type)
