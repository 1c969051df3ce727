"""Experiments: create, list, read, finish, delete, and batch metric logging."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from maestro.api.context import AppContext
from maestro.api.deps import Context, CurrentPrincipal
from maestro.api.schemas.common import Cursor, Page, PageLimit, cursor_param
from maestro.api.schemas.experiments import (
    ExperimentCreate,
    ExperimentOut,
    ExperimentPatch,
    MetricBatch,
    MetricBatchOut,
    MetricPointOut,
    Status,
)
from maestro.db.models import Experiment
from maestro.services.experiments import MAX_HISTORY_PAGE, MetricValue

router = APIRouter(prefix="/experiments", tags=["experiments"])


def experiment_out(
    experiment: Experiment, latest: dict[str, MetricValue] | None = None
) -> ExperimentOut:
    return ExperimentOut(
        id=experiment.id,
        name=experiment.name,
        group=experiment.group,
        status=experiment.status,
        params=experiment.params,
        tags=experiment.tags,
        created_by=experiment.created_by,
        created_at=experiment.created_at,
        updated_at=experiment.updated_at,
        finished_at=experiment.finished_at,
        latest_metrics=None
        if latest is None
        else {name: MetricPointOut(**vars(point)) for name, point in latest.items()},
    )


def _with_latest(ctx: AppContext, session: Session, experiment: Experiment) -> ExperimentOut:
    return experiment_out(experiment, ctx.experiments.latest_metrics(session, experiment.id))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_experiment(
    body: ExperimentCreate, ctx: Context, principal: CurrentPrincipal
) -> ExperimentOut:
    with ctx.db.session() as session:
        experiment = ctx.experiments.create(
            session, principal, name=body.name, group=body.group, params=body.params, tags=body.tags
        )
        return experiment_out(experiment, {})


@router.get("")
def list_experiments(
    ctx: Context,
    principal: CurrentPrincipal,
    group: str | None = None,
    status: Status | None = None,
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> Page[ExperimentOut]:
    with ctx.db.read_session() as session:
        page = ctx.experiments.list(
            session, principal, group=group, status=status, limit=limit, cursor=cursor
        )
        return Page(items=[experiment_out(e) for e in page.items], next_cursor=page.next_cursor)


@router.get("/{experiment_id}")
def get_experiment(experiment_id: str, ctx: Context, principal: CurrentPrincipal) -> ExperimentOut:
    with ctx.db.read_session() as session:
        return _with_latest(ctx, session, ctx.experiments.get(session, principal, experiment_id))


@router.patch("/{experiment_id}")
def update_experiment(
    experiment_id: str, body: ExperimentPatch, ctx: Context, principal: CurrentPrincipal
) -> ExperimentOut:
    with ctx.db.session() as session:
        experiment = ctx.experiments.update(
            session, principal, experiment_id, status=body.status, tags=body.tags
        )
        return _with_latest(ctx, session, experiment)


@router.delete("/{experiment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_experiment(experiment_id: str, ctx: Context, principal: CurrentPrincipal) -> Response:
    with ctx.db.session() as session:
        ctx.experiments.delete(session, principal, experiment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{experiment_id}/metrics", status_code=status.HTTP_201_CREATED)
def log_metrics(
    experiment_id: str, body: MetricBatch, ctx: Context, principal: CurrentPrincipal
) -> MetricBatchOut:
    points = [MetricValue(m.name, m.value, m.step, m.timestamp) for m in body.metrics]
    with ctx.db.session() as session:
        logged = ctx.experiments.log_metrics(session, principal, experiment_id, points)
    return MetricBatchOut(logged=logged)


@router.get("/{experiment_id}/metrics")
def metric_history(
    experiment_id: str,
    ctx: Context,
    principal: CurrentPrincipal,
    name: str | None = None,
    limit: int = Query(default=1000, ge=1, le=MAX_HISTORY_PAGE),
    cursor: Annotated[str | None, cursor_param("maestro-metric-cursor")] = None,
) -> Page[MetricPointOut]:
    with ctx.db.read_session() as session:
        page = ctx.experiments.metric_history(
            session, principal, experiment_id, name=name, limit=limit, cursor=cursor
        )
    return Page(items=[MetricPointOut(**vars(p)) for p in page.items], next_cursor=page.next_cursor)
