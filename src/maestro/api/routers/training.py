"""Training jobs: submit (202), list, read with progress and results, cancel."""

from fastapi import APIRouter, status

from maestro.api.deps import Context, CurrentPrincipal
from maestro.api.schemas.common import Cursor, Page, PageLimit
from maestro.api.schemas.training import JobAccepted, TrainingJobCreate, TrainingJobOut
from maestro.services.training import TrainingRequest

router = APIRouter(tags=["training"])


@router.post("/training-jobs", status_code=status.HTTP_202_ACCEPTED)
def submit_training_job(
    body: TrainingJobCreate, ctx: Context, principal: CurrentPrincipal
) -> JobAccepted:
    with ctx.db.session() as session:
        job = ctx.training.submit(session, principal, TrainingRequest(**body.model_dump()))
        return JobAccepted(id=job.id, status=job.status)


@router.get("/training-jobs")
def list_training_jobs(
    ctx: Context, principal: CurrentPrincipal, limit: PageLimit = 50, cursor: Cursor = None
) -> Page[TrainingJobOut]:
    with ctx.db.read_session() as session:
        page = ctx.training.list(session, principal, limit=limit, cursor=cursor)
    return Page(
        items=[TrainingJobOut.model_validate(i) for i in page.items], next_cursor=page.next_cursor
    )


@router.get("/training-jobs/{job_id}")
def get_training_job(job_id: str, ctx: Context, principal: CurrentPrincipal) -> TrainingJobOut:
    with ctx.db.read_session() as session:
        return TrainingJobOut.model_validate(ctx.training.get(session, principal, job_id))


@router.post("/training-jobs/{job_id}/cancel")
def cancel_training_job(job_id: str, ctx: Context, principal: CurrentPrincipal) -> TrainingJobOut:
    """Queued: cancelled now. Running: stopped within seconds. Finished: unchanged."""
    with ctx.db.session() as session:
        return TrainingJobOut.model_validate(ctx.training.cancel(session, principal, job_id))
