"""Feature discovery: run it on a dataset (202) and read the job with its report."""

from fastapi import APIRouter, status

from maestro.api.deps import Context, CurrentPrincipal
from maestro.api.schemas.common import Cursor, Page, PageLimit
from maestro.api.schemas.discovery import DiscoveryCreate, DiscoveryJobOut
from maestro.api.schemas.training import JobAccepted

router = APIRouter(tags=["feature discovery"])


@router.post("/datasets/{dataset_id}/feature-discovery", status_code=status.HTTP_202_ACCEPTED)
def submit_feature_discovery(
    dataset_id: str, body: DiscoveryCreate, ctx: Context, principal: CurrentPrincipal
) -> JobAccepted:
    with ctx.db.session() as session:
        job = ctx.discovery.submit(session, principal, dataset_id, body.target)
        return JobAccepted(id=job.id, status=job.status)


@router.get("/feature-discovery")
def list_feature_discovery(
    ctx: Context, principal: CurrentPrincipal, limit: PageLimit = 50, cursor: Cursor = None
) -> Page[DiscoveryJobOut]:
    with ctx.db.read_session() as session:
        page = ctx.discovery.list(session, principal, limit=limit, cursor=cursor)
    return Page(
        items=[DiscoveryJobOut.model_validate(i) for i in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/feature-discovery/{job_id}")
def get_feature_discovery(
    job_id: str, ctx: Context, principal: CurrentPrincipal
) -> DiscoveryJobOut:
    with ctx.db.read_session() as session:
        return DiscoveryJobOut.model_validate(ctx.discovery.get(session, principal, job_id))
