"""Model health: monitoring settings, reference data, feedback, live performance, drift."""

from fastapi import APIRouter, status

from maestro.api.deps import Context, CurrentPrincipal
from maestro.api.schemas.common import Page, PageLimit
from maestro.api.schemas.model_health import (
    DriftRunOut,
    FeedbackIn,
    FeedbackOut,
    MonitoringIn,
    MonitoringOut,
    PerformanceOut,
    ReferenceIn,
    ReferenceOut,
)
from maestro.api.schemas.models import VERSION_HELP
from maestro.db.models import DriftRun
from maestro.services.jobs import job_view

router = APIRouter(tags=["model health"])


def drift_run_out(run: DriftRun) -> DriftRunOut:
    return DriftRunOut(
        id=run.id,
        version=run.version,
        job_id=run.job_id,
        created_at=run.created_at,
        status=run.status,
        message=run.message,
        reference_dataset_id=run.reference_dataset_id,
        reference_rows=run.reference_rows,
        current_rows=run.current_rows,
        drifted_features=run.drifted_features,
        drift_share=run.drift_share,
        dataset_drift=run.dataset_drift,
        drifted=[f["column"] for f in run.features if f.get("drifted")],
        features=run.features,
        prediction=run.prediction,
    )


@router.get("/models/{name}/monitoring")
def get_monitoring(name: str, ctx: Context, principal: CurrentPrincipal) -> MonitoringOut:
    with ctx.db.session() as session:
        return MonitoringOut(**ctx.health.monitoring(session, principal, name))


@router.put("/models/{name}/monitoring")
def set_monitoring(
    name: str, body: MonitoringIn, ctx: Context, principal: CurrentPrincipal
) -> MonitoringOut:
    with ctx.db.session() as session:
        view = ctx.health.set_monitoring(session, principal, name, body.log_sample_rate)
    return MonitoringOut(**view)


@router.get("/models/{name}/versions/{version}/reference", description=f"`version`: {VERSION_HELP}")
def get_reference(
    name: str, version: str, ctx: Context, principal: CurrentPrincipal
) -> ReferenceOut:
    with ctx.db.session() as session:
        number = ctx.registry.get_version(session, principal, name, version).version.version
        ref = ctx.health.reference(session, principal, name, version)
    return ReferenceOut(model=name, version=number, dataset_id=ref.dataset_id, source=ref.source)


@router.put("/models/{name}/versions/{version}/reference", description=f"`version`: {VERSION_HELP}")
def set_reference(
    name: str, version: str, body: ReferenceIn, ctx: Context, principal: CurrentPrincipal
) -> ReferenceOut:
    with ctx.db.session() as session:
        ref = ctx.health.set_reference(session, principal, name, version, body.dataset_id)
        number = ctx.registry.get_version(session, principal, name, version).version.version
    return ReferenceOut(model=name, version=number, dataset_id=ref.dataset_id, source=ref.source)


@router.post("/models/{name}/feedback")
def feedback(name: str, body: FeedbackIn, ctx: Context, principal: CurrentPrincipal) -> FeedbackOut:
    items = [(item.prediction_id, item.label) for item in body.feedback]
    result = ctx.health.feedback(ctx.db, principal, name, items)
    return FeedbackOut(accepted=result.accepted, unknown_prediction_ids=result.unknown)


@router.get("/models/{name}/performance")
def performance(name: str, ctx: Context, principal: CurrentPrincipal) -> PerformanceOut:
    with ctx.db.session() as session:
        return PerformanceOut(**ctx.health.performance(session, principal, name))


@router.get("/models/{name}/drift", description="Drift runs, oldest first (follow `next_cursor`).")
def drift_history(
    name: str,
    ctx: Context,
    principal: CurrentPrincipal,
    limit: PageLimit = 50,
    cursor: str | None = None,
) -> Page[DriftRunOut]:
    with ctx.db.session() as session:
        page = ctx.health.drift_history(session, principal, name, limit=limit, cursor=cursor)
        items = [drift_run_out(run) for run in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


@router.post(
    "/models/{name}/drift/run",
    status_code=status.HTTP_202_ACCEPTED,
    description="Queue a drift run for the deployed model now (the schedule runs it hourly).",
)
def run_drift(name: str, ctx: Context, principal: CurrentPrincipal) -> dict:
    return job_view(ctx.health.run_drift(ctx.db, principal, name, ctx.jobs))
