"""Dataset pages: the list, and a dataset's schema, preview and latest feature-discovery report."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from maestro.api.deps import Context
from maestro.web.auth import Signed, Writer
from maestro.web.security import ConsoleRoute
from maestro.web.templating import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/datasets")
def list_datasets(
    request: Request,
    ctx: Context,
    user: Signed,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    with ctx.db.read_session() as session:
        page = ctx.datasets.list(session, user.principal, limit=PAGE_SIZE, cursor=cursor)
        return render(request, "datasets.html", {"page": page})


@router.get("/datasets/{dataset_id}")
def dataset_page(request: Request, dataset_id: str, ctx: Context, user: Signed) -> Response:
    with ctx.db.read_session() as session:
        dataset = ctx.datasets.get(session, user.principal, dataset_id)
        report = ctx.discovery.latest_report(session, user.principal, dataset.id)
        top = max(
            (r["mutual_information"] or 0 for r in (report or {}).get("relevance", [])), default=0
        )
        return render(
            request,
            "dataset.html",
            {"dataset": dataset, "report": report, "relevance_max": top or 1},
        )


@router.post("/datasets/{dataset_id}/discover")
def discover(
    dataset_id: str,
    ctx: Context,
    user: Writer,
    target: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    with ctx.db.session() as session:
        job = ctx.discovery.submit(session, user.principal, dataset_id, target or None)
        job_id = job.id
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
