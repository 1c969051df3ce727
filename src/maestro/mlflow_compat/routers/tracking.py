"""MLflow experiments, runs, metrics, params and tags (`/api/2.0/mlflow/...`)."""

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from maestro.api.deps import Context, CurrentPrincipal
from maestro.mlflow_compat import protocol
from maestro.mlflow_compat.errors import invalid
from maestro.mlflow_compat.routers.common import (
    API,
    JsonBody,
    Mlflow,
    integer,
    mlflow_router,
    pairs,
    query,
    strings,
    text,
)
from maestro.mlflow_compat.tracking import ACTIVE, DELETED
from maestro.services.experiments import MAX_HISTORY_PAGE, MetricValue

router = mlflow_router()


# --- experiments -------------------------------------------------------------------------------


@router.post(f"{API}/experiments/create")
def create_experiment(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    if payload.get("artifact_location"):
        raise invalid("artifact_location is not supported: artifacts live in Maestro's store")
    with ctx.db.session() as s:
        experiment = mlflow.tracking.create_experiment(
            s, principal, text(payload, "name"), pairs(payload, "tags")
        )
        return {"experiment_id": experiment.id}


def _search_experiments(
    args: dict[str, Any], ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        found, token = mlflow.tracking.search_experiments(
            s,
            principal,
            view_type=text(args, "view_type", required=False, default="ACTIVE_ONLY"),
            filter_string=text(args, "filter", required=False),
            order_by=strings(args, "order_by"),
            max_results=integer(args, "max_results", 1000),
            page_token=text(args, "page_token", required=False),
        )
        body: dict[str, Any] = {"experiments": [protocol.experiment_json(e) for e in found]}
    if token:
        body["next_page_token"] = token
    return body


@router.post(f"{API}/experiments/search")
def search_experiments(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    return _search_experiments(payload, ctx, principal, mlflow)


@router.get(f"{API}/experiments/search")
def search_experiments_get(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    return _search_experiments(query(request), ctx, principal, mlflow)


@router.get(f"{API}/experiments/get")
def get_experiment(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        experiment = mlflow.tracking.get_experiment(
            s, principal, text(query(request), "experiment_id")
        )
        return {"experiment": protocol.experiment_json(experiment)}


@router.get(f"{API}/experiments/get-by-name")
def get_experiment_by_name(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        experiment = mlflow.tracking.get_experiment_by_name(
            s, principal, text(query(request), "experiment_name")
        )
        return {"experiment": protocol.experiment_json(experiment)}


@router.post(f"{API}/experiments/delete")
def delete_experiment(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.tracking.set_experiment_lifecycle(
            s, principal, text(payload, "experiment_id"), DELETED
        )
    return {}


@router.post(f"{API}/experiments/restore")
def restore_experiment(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.tracking.set_experiment_lifecycle(
            s, principal, text(payload, "experiment_id"), ACTIVE
        )
    return {}


@router.post(f"{API}/experiments/update")
def update_experiment(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.tracking.update_experiment(
            s, principal, text(payload, "experiment_id"), text(payload, "new_name")
        )
    return {}


@router.post(f"{API}/experiments/set-experiment-tag")
def set_experiment_tag(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    tags = {text(payload, "key"): text(payload, "value", required=False)}
    with ctx.db.session() as s:
        mlflow.tracking.set_experiment_tags(s, principal, text(payload, "experiment_id"), tags)
    return {}


@router.post(f"{API}/experiments/delete-experiment-tag")
def delete_experiment_tag(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.tracking.set_experiment_tags(
            s, principal, text(payload, "experiment_id"), {}, [text(payload, "key")]
        )
    return {}


# --- runs --------------------------------------------------------------------------------------


@router.post(f"{API}/runs/create")
def create_run(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    tags = pairs(payload, "tags")
    tags.setdefault("mlflow.user", text(payload, "user_id", required=False) or principal.username)
    with ctx.db.session() as s:
        view = mlflow.tracking.create_run(
            s,
            principal,
            text(payload, "experiment_id", required=False, default="0"),
            run_name=text(payload, "run_name", required=False) or None,
            tags=tags,
        )
        return {"run": protocol.run_json(view)}


@router.get(f"{API}/runs/get")
def get_run(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    args = query(request)
    run_id = text(args, "run_id", required=False) or text(args, "run_uuid")
    with ctx.db.session() as s:
        return {"run": protocol.run_json(mlflow.tracking.get_run(s, principal, run_id))}


def _run_id(payload: dict[str, Any]) -> str:
    return text(payload, "run_id", required=False) or text(payload, "run_uuid")


@router.post(f"{API}/runs/update")
def update_run(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        view = mlflow.tracking.update_run(
            s,
            principal,
            _run_id(payload),
            status=text(payload, "status", required=False) or None,
            run_name=text(payload, "run_name", required=False) or None,
        )
        return {"run_info": protocol.run_info_json(view)}


@router.post(f"{API}/runs/delete")
def delete_run(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.tracking.set_run_lifecycle(s, principal, _run_id(payload), DELETED)
    return {}


@router.post(f"{API}/runs/restore")
def restore_run(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.tracking.set_run_lifecycle(s, principal, _run_id(payload), ACTIVE)
    return {}


def _metric(item: Any) -> MetricValue:
    """One MLflow metric; on the hot path of log-batch (1,000 a call), so kept direct."""
    try:
        key = item["key"]
        if not isinstance(key, str) or not key:
            raise TypeError
        number = float(item["value"])  # MLflow's JSON sends NaN/Infinity as strings
        step = int(item.get("step") or 0)
        millis = item.get("timestamp")
        moment = None if millis in (None, "") else datetime.fromtimestamp(int(millis) / 1000, UTC)
    except (TypeError, ValueError, KeyError, OverflowError, OSError) as exc:
        raise invalid("a metric needs a key, a number, an integer step and timestamp") from exc
    return MetricValue(name=key[:200], value=number, step=step, timestamp=moment)


def _for_logged_model(item: Any) -> bool:
    """A metric sent with a `model_id` is also the logged model's: see `log_batch`."""
    return isinstance(item, dict) and bool(item.get("model_id"))


@router.post(f"{API}/runs/log-metric")
def log_metric(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        point = [_metric(payload)]
        if _for_logged_model(payload):
            mlflow.tracking.log_batch(s, principal, _run_id(payload), model_metrics=point)
        else:
            mlflow.tracking.log_batch(s, principal, _run_id(payload), metrics=point)
    return {}


@router.post(f"{API}/runs/log-parameter")
def log_param(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    params = {text(payload, "key"): text(payload, "value", required=False)}
    with ctx.db.session() as s:
        mlflow.tracking.log_batch(s, principal, _run_id(payload), params=params)
    return {}


@router.post(f"{API}/runs/set-tag")
def set_tag(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    tags = {text(payload, "key"): text(payload, "value", required=False)}
    with ctx.db.session() as s:
        mlflow.tracking.log_batch(s, principal, _run_id(payload), tags=tags)
    return {}


@router.post(f"{API}/runs/delete-tag")
def delete_tag(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.tracking.delete_tag(s, principal, _run_id(payload), text(payload, "key"))
    return {}


@router.post(f"{API}/runs/log-batch")
def log_batch(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    raw_metrics = payload.get("metrics") or []
    if not isinstance(raw_metrics, list):
        raise invalid("metrics must be a list")
    with ctx.db.session() as s:
        mlflow.tracking.log_batch(
            s,
            principal,
            _run_id(payload),
            metrics=[_metric(m) for m in raw_metrics if not _for_logged_model(m)],
            model_metrics=[_metric(m) for m in raw_metrics if _for_logged_model(m)],
            params=pairs(payload, "params"),
            tags=pairs(payload, "tags"),
        )
    return {}


@router.post(f"{API}/runs/log-model")
@router.post(f"{API}/runs/log-inputs")
@router.post(f"{API}/runs/outputs")
def link_to_run(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    """Model and dataset links are accepted and not stored (the run must be the caller's)."""
    principal.require_write()
    with ctx.db.session() as s:
        mlflow.tracking.get_run(s, principal, _run_id(payload))
    return {}


def _search_runs(
    args: dict[str, Any], ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        found, token = mlflow.tracking.search_runs(
            s,
            principal,
            experiment_ids=strings(args, "experiment_ids"),
            filter_string=text(args, "filter", required=False),
            view_type=text(args, "run_view_type", required=False, default="ACTIVE_ONLY"),
            order_by=strings(args, "order_by"),
            max_results=integer(args, "max_results", 1000),
            page_token=text(args, "page_token", required=False),
        )
        body: dict[str, Any] = {"runs": [protocol.run_json(v) for v in found]}
    if token:
        body["next_page_token"] = token
    return body


@router.post(f"{API}/runs/search")
def search_runs(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    return _search_runs(payload, ctx, principal, mlflow)


@router.get(f"{API}/metrics/get-history")
def get_metric_history(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> JSONResponse:
    args = query(request)
    run_id = text(args, "run_id", required=False) or text(args, "run_uuid")
    limit = min(integer(args, "max_results", MAX_HISTORY_PAGE), MAX_HISTORY_PAGE)
    with ctx.db.session() as s:
        points, token = mlflow.tracking.metric_history(
            s,
            principal,
            run_id,
            text(args, "metric_key"),
            max_results=limit,
            page_token=text(args, "page_token", required=False),
        )
    body: dict[str, Any] = {"metrics": [protocol.metric_json(p) for p in points]}
    if token:
        body["next_page_token"] = token
    return JSONResponse(body)  # up to 10,000 points: skip re-validating the plain dict
