"""Experiment pages: the filterable runs table, one run's metric charts, and run comparison.

The table is sorted by the database (`?sort=<column>&order=asc|desc`, see
`services.experiment_sort`), so the order holds across pages; its column headers are links that
toggle it. Charts are drawn in the browser by uPlot from JSON data blocks the page carries; a
series is read through `metric_history` (tenant-checked), capped so a huge run cannot stall a page.
"""

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from maestro.api.deps import Context
from maestro.errors import ValidationFailed
from maestro.services.experiment_sort import (
    METRIC_PREFIX,
    PARAM_PREFIX,
    parse_sort,
    sorted_page,
)
from maestro.services.experiments import STATUSES, ExperimentService
from maestro.services.pagination import MAX_CURSOR_LENGTH
from maestro.services.principal import Principal
from maestro.web.auth import Signed
from maestro.web.security import ConsoleRoute
from maestro.web.templating import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50
MAX_POINTS = 10_000  # per experiment, over all its metrics
MIN_COMPARED, MAX_COMPARED = 2, 10


def _tag_filter(tag: str | None) -> tuple[str, str] | None:
    if not tag:
        return None
    key, sep, value = tag.partition("=")
    if not sep or not key.strip():
        raise ValidationFailed("filter tags as key=value")
    return key.strip(), value.strip()


@router.get("/experiments")
def list_experiments(
    request: Request,
    ctx: Context,
    user: Signed,
    group: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    tag: Annotated[str | None, Query(max_length=300)] = None,
    sort: Annotated[str | None, Query(max_length=220)] = None,
    order: Annotated[str | None, Query(max_length=4)] = None,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)] = None,
) -> Response:
    if status and status not in STATUSES:
        raise ValidationFailed(f"status must be one of: {', '.join(STATUSES)}")
    chosen = parse_sort(sort, order)
    with ctx.db.read_session() as session:
        page = sorted_page(
            session,
            user.principal,
            chosen,
            group=group or None,
            status=status or None,
            tag=_tag_filter(tag),
            limit=PAGE_SIZE,
            cursor=cursor,
        )
        latest = ctx.experiments.latest_metrics_of(session, [e.id for e in page.items])
    params = {k for e in page.items for k in e.params}
    metric_names = {n for values in latest.values() for n in values}
    if chosen.column.startswith(PARAM_PREFIX):  # the sorted column shows even if all missing
        params.add(chosen.column.removeprefix(PARAM_PREFIX))
    if chosen.column.startswith(METRIC_PREFIX):
        metric_names.add(chosen.column.removeprefix(METRIC_PREFIX))

    def header(column: str) -> dict[str, str | None]:
        """A column header's link (the other order if it is the sorted column) and aria-sort."""
        try:
            parse_sort(column, None)
        except ValidationFailed:  # a name no sort can spell (a quote, a backslash): no link
            return {"href": None, "aria_sort": None}
        target = chosen.toggled(column)
        url = request.url.remove_query_params("cursor").include_query_params(
            sort=target.column, order=target.order
        )
        state = None
        if column == chosen.column:
            state = "descending" if chosen.descending else "ascending"
        return {"href": f"{url.path}?{url.query}", "aria_sort": state}

    return render(
        request,
        "experiments.html",
        {
            "page": page,
            "latest": latest,
            "params": sorted(params),
            "metric_names": sorted(metric_names),
            "statuses": STATUSES,
            "header": header,
            "sort": chosen,
            "filters": {"group": group or "", "status": status or "", "tag": tag or ""},
        },
    )


def _series(
    experiments: ExperimentService, session: Session, principal: Principal, experiment_id: str
) -> dict[str, tuple[list[int], list[float]]]:
    """Every metric of one experiment as (steps, values), at most MAX_POINTS points in all."""
    series: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    cursor, read = None, 0
    while read < MAX_POINTS:
        page = experiments.metric_history(
            session, principal, experiment_id, limit=min(5000, MAX_POINTS - read), cursor=cursor
        )
        for point in page.items:
            steps, values = series[point.name]
            steps.append(point.step)
            values.append(point.value)
        read += len(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    return dict(series)


@router.get("/experiments/compare")
def compare(
    request: Request,
    ctx: Context,
    user: Signed,
    ids: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies the default
) -> Response:
    chosen = list(dict.fromkeys(ids))
    if not MIN_COMPARED <= len(chosen) <= MAX_COMPARED:
        raise ValidationFailed(
            f"select between {MIN_COMPARED} and {MAX_COMPARED} experiments to compare"
        )
    with ctx.db.read_session() as session:
        runs = [ctx.experiments.get(session, user.principal, i) for i in chosen]
        series = {r.id: _series(ctx.experiments, session, user.principal, r.id) for r in runs}
        latest = ctx.experiments.latest_metrics_of(session, chosen)
        metric_names = sorted({n for s in series.values() for n in s})
        charts = [
            {
                "title": name,
                "series": [
                    {"label": r.name, "x": series[r.id][name][0], "y": series[r.id][name][1]}
                    for r in runs
                    if name in series[r.id]
                ],
            }
            for name in metric_names
        ]
        param_names = sorted({k for r in runs for k in r.params})
        param_rows = [
            (k, [r.params.get(k) for r in runs], len({repr(r.params.get(k)) for r in runs}) > 1)
            for k in param_names
        ]
        metric_rows = [(n, [latest.get(r.id, {}).get(n) for r in runs]) for n in metric_names]
        return render(
            request,
            "compare.html",
            {"runs": runs, "charts": charts, "param_rows": param_rows, "metric_rows": metric_rows},
        )


@router.get("/experiments/{experiment_id}")
def experiment_page(request: Request, experiment_id: str, ctx: Context, user: Signed) -> Response:
    with ctx.db.read_session() as session:
        run = ctx.experiments.get(session, user.principal, experiment_id)
        series = _series(ctx.experiments, session, user.principal, run.id)
        latest = ctx.experiments.latest_metrics(session, run.id)
        charts: list[dict[str, Any]] = [
            {"title": name, "series": [{"label": name, "x": steps, "y": values}]}
            for name, (steps, values) in sorted(series.items())
        ]
        return render(request, "experiment.html", {"run": run, "charts": charts, "latest": latest})
