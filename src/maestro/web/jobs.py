"""Job pages: training and discovery jobs with live status, the training form, cancel.

Status is live without reloading: the list's rows and a job's status panel are htmx fragments
polled every two seconds (a finished job's panel stops polling). The training form posts through
`TrainingService.submit`, so it is validated exactly like `POST /api/v1/training/jobs`.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from maestro.api.deps import Context
from maestro.db.models import Job
from maestro.errors import ValidationFailed
from maestro.ml.catalog import CATALOG
from maestro.services.discovery import DISCOVERY_KIND, discovery_view
from maestro.services.training import TASKS, TRAINING_KIND, TrainingRequest, training_view
from maestro.web.auth import Signed, Writer
from maestro.web.security import ConsoleRoute
from maestro.web.templating import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50
DATASET_CHOICES = 200
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


def _view(job: Job) -> dict[str, Any]:
    view = training_view(job) if job.kind == TRAINING_KIND else discovery_view(job)
    return {
        **view,
        "kind": job.kind,
        "created_at": job.created_at,
        "terminal": job.status in TERMINAL,
    }


def _rows(
    ctx: Context, user: Signed, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    with ctx.db.read_session() as session:
        page = ctx.jobs.list(
            session, user.principal, limit=PAGE_SIZE, cursor=cursor, newest_first=True
        )
        return [_view(j) for j in page.items if j.kind in (TRAINING_KIND, DISCOVERY_KIND)], (
            page.next_cursor
        )


@router.get("/jobs")
def list_jobs(
    request: Request,
    ctx: Context,
    user: Signed,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    jobs, next_cursor = _rows(ctx, user, cursor)
    with ctx.db.read_session() as session:
        choices = ctx.datasets.names(session, user.principal, limit=DATASET_CHOICES)
        # The first dataset's columns fill the target picker; others come over htmx on change.
        first = ctx.datasets.get(session, user.principal, choices[0][0]) if choices else None
    return render(
        request,
        "jobs.html",
        {
            "jobs": jobs,
            "cursor": cursor,
            "next_cursor": next_cursor,
            "datasets": choices,
            "first_columns": first.columns if first else [],
            "algorithms": sorted(CATALOG.values(), key=lambda a: a.name),
            "tasks": TASKS,
        },
    )


@router.get("/jobs/rows")
def job_rows(
    request: Request,
    ctx: Context,
    user: Signed,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The list's body, polled by the page so statuses and progress move on their own."""
    jobs, _ = _rows(ctx, user, cursor)
    return render(request, "_job_rows.html", {"jobs": jobs, "cursor": cursor})


@router.get("/jobs/targets")
def target_options(
    request: Request,
    ctx: Context,
    user: Signed,
    dataset_id: Annotated[str, Query(max_length=36)],
) -> Response:
    """The target choices of the chosen dataset, swapped into the form's select."""
    with ctx.db.read_session() as session:
        dataset = ctx.datasets.get(session, user.principal, dataset_id)
        return render(request, "_target_options.html", {"columns": dataset.columns})


def _hyperparameters(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(f"hyperparameters are not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise ValidationFailed('hyperparameters must be a JSON object, e.g. {"max_depth": 3}')
    return value


@router.post("/jobs/training")
def launch_training(
    request: Request,
    ctx: Context,
    user: Writer,
    dataset_id: Annotated[str, Form(max_length=36)],
    target: Annotated[str, Form(min_length=1, max_length=500)],
    algorithm: Annotated[str, Form(max_length=100)],
    task: Annotated[str, Form(max_length=20)] = "auto",
    hyperparameters: Annotated[str, Form(max_length=20_000)] = "",
    register_as: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    training = TrainingRequest(
        dataset_id=dataset_id,
        target=target,
        algorithm=algorithm,
        task=task,
        hyperparameters=_hyperparameters(hyperparameters),
        register_as=register_as.strip() or None,
    )
    with ctx.db.session() as session:
        job_id = ctx.training.submit(session, user.principal, training).id
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": f"/jobs/{job_id}"})
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


def _job(ctx: Context, user: Signed, job_id: str) -> dict[str, Any]:
    with ctx.db.read_session() as session:
        return _view(ctx.jobs.get(session, user.principal, job_id))


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str, ctx: Context, user: Signed) -> Response:
    return render(request, "job.html", {"job": _job(ctx, user, job_id)})


@router.get("/jobs/{job_id}/status")
def job_status(request: Request, job_id: str, ctx: Context, user: Signed) -> Response:
    return render(request, "_job_status.html", {"job": _job(ctx, user, job_id)})


@router.post("/jobs/{job_id}/cancel")
def cancel_job(request: Request, job_id: str, ctx: Context, user: Writer) -> Response:
    with ctx.db.session() as session:
        ctx.jobs.cancel(session, user.principal, job_id)
    if request.headers.get("hx-request") == "true":
        return render(request, "_job_status.html", {"job": _job(ctx, user, job_id)})
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
