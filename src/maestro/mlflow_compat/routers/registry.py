"""MLflow 3 logged models and the model registry (`/api/2.0/mlflow/logged-models|registered-models|
model-versions`), plus ENDPOINT_NOT_FOUND for every MLflow endpoint Maestro does not serve."""

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from maestro.api.deps import Context, CurrentPrincipal
from maestro.errors import NotFound
from maestro.mlflow_compat import protocol, search
from maestro.mlflow_compat.errors import ENDPOINT_NOT_FOUND, invalid, mlflow_response
from maestro.mlflow_compat.models import version_meta
from maestro.mlflow_compat.routers.common import (
    API,
    ARTIFACTS_API,
    JsonBody,
    Mlflow,
    integer,
    mlflow_router,
    pairs,
    query,
    strings,
    text,
)
from maestro.mlflow_compat.tracking import page_of
from maestro.services.registry import ModelDetails, VersionDetails

router = mlflow_router()
MAX_REGISTRY_RESULTS = 1000


# --- logged models (MLflow 3) ------------------------------------------------------------------


@router.post(f"{API}/logged-models")
def create_logged_model(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        model = mlflow.models.create_logged_model(
            s,
            principal,
            experiment_id=text(payload, "experiment_id", required=False, default="0"),
            name=text(payload, "name", required=False) or None,
            model_type=text(payload, "model_type", required=False) or None,
            source_run_id=text(payload, "source_run_id", required=False) or None,
            params=pairs(payload, "params"),
            tags=pairs(payload, "tags"),
        )
        return {"model": protocol.logged_model_json(model)}


@router.post(f"{API}/logged-models/search")
def search_logged_models(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    if payload.get("filter") or payload.get("datasets"):
        raise invalid("searching logged models supports experiment_ids only")
    with ctx.db.session() as s:
        found = mlflow.models.search_logged_models(s, principal, strings(payload, "experiment_ids"))
        chunk, token = page_of(
            found, integer(payload, "max_results", 100), text(payload, "page_token", required=False)
        )
        body: dict[str, Any] = {"models": [protocol.logged_model_json(m) for m in chunk]}
    if token:
        body["next_page_token"] = token
    return body


@router.get(f"{API}/logged-models/{{model_id}}")
def get_logged_model(
    model_id: str, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        model = mlflow.models.get_logged_model(s, principal, model_id)
        return {"model": protocol.logged_model_json(model)}


@router.patch(f"{API}/logged-models/{{model_id}}")
def finalize_logged_model(
    model_id: str, payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        model = mlflow.models.update_logged_model(
            s, principal, model_id, status=text(payload, "status")
        )
        return {"model": protocol.logged_model_json(model)}


@router.delete(f"{API}/logged-models/{{model_id}}")
def delete_logged_model(
    model_id: str, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.models.delete_logged_model(s, principal, model_id)
    return {}


@router.patch(f"{API}/logged-models/{{model_id}}/tags")
def set_logged_model_tags(
    model_id: str, payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.models.update_logged_model(s, principal, model_id, tags=pairs(payload, "tags"))
    return {}


@router.delete(f"{API}/logged-models/{{model_id}}/tags/{{tag_key}}")
def delete_logged_model_tag(
    model_id: str, tag_key: str, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.models.update_logged_model(s, principal, model_id, remove_tag=tag_key)
    return {}


@router.post(f"{API}/logged-models/{{model_id}}/params")
def log_logged_model_params(
    model_id: str, payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.models.update_logged_model(s, principal, model_id, params=pairs(payload, "params"))
    return {}


# --- registered models -------------------------------------------------------------------------


def _registered(
    mlflow: Mlflow, s: Any, principal: CurrentPrincipal, details: ModelDetails
) -> dict[str, Any]:
    latest = None
    if details.model.latest_version:
        try:
            latest = mlflow.models.registry.get_version(s, principal, details.model.name, "latest")
        except NotFound:
            latest = None
    return protocol.registered_model_json(details, latest)


@router.post(f"{API}/registered-models/create")
def create_registered_model(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        model = mlflow.models.registry.create_model(
            s,
            principal,
            text(payload, "name"),
            text(payload, "description", required=False),
            pairs(payload, "tags"),
        )
        details = mlflow.models.registry.get_model(s, principal, model.name)
        return {"registered_model": protocol.registered_model_json(details)}


@router.get(f"{API}/registered-models/get")
def get_registered_model(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        details = mlflow.models.registry.get_model(s, principal, text(query(request), "name"))
        return {"registered_model": _registered(mlflow, s, principal, details)}


@router.patch(f"{API}/registered-models/update")
def update_registered_model(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        details = mlflow.models.registry.update_model(
            s,
            principal,
            text(payload, "name"),
            description=text(payload, "description", required=False),
        )
        return {"registered_model": _registered(mlflow, s, principal, details)}


@router.delete(f"{API}/registered-models/delete")
def delete_registered_model(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.models.registry.delete_model(s, principal, text(payload, "name"))
    return {}


@router.post(f"{API}/registered-models/set-tag")
def set_registered_model_tag(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    name = text(payload, "name")
    with ctx.db.session() as s:
        current = mlflow.models.registry.get_model(s, principal, name).model.tags
        tags = {**current, text(payload, "key"): text(payload, "value", required=False)}
        mlflow.models.registry.update_model(s, principal, name, tags=tags)
    return {}


@router.delete(f"{API}/registered-models/delete-tag")
def delete_registered_model_tag(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    name, key = text(payload, "name"), text(payload, "key")
    with ctx.db.session() as s:
        current = dict(mlflow.models.registry.get_model(s, principal, name).model.tags)
        if key not in current:
            raise NotFound(f"no tag {key!r} on registered model {name!r}")
        current.pop(key)
        mlflow.models.registry.update_model(s, principal, name, tags=current)
    return {}


def _all_models(mlflow: Mlflow, s: Any, principal: CurrentPrincipal) -> list[ModelDetails]:
    models: list[ModelDetails] = []
    cursor = None
    while True:
        page = mlflow.models.registry.list_models(s, principal, limit=500, cursor=cursor)
        models.extend(page.items)
        if page.next_cursor is None:
            return models
        cursor = page.next_cursor


@router.get(f"{API}/registered-models/search")
def search_registered_models(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    args = query(request)
    clauses = search.parse_filter(text(args, "filter", required=False))
    max_results = integer(args, "max_results", 100)
    if not 1 <= max_results <= MAX_REGISTRY_RESULTS:
        raise invalid(f"max_results must be between 1 and {MAX_REGISTRY_RESULTS}")
    with ctx.db.session() as s:
        found = [
            d
            for d in _all_models(mlflow, s, principal)
            if search.matches(
                clauses,
                search.lookup_in({"attributes": {"name": d.model.name}, "tags": d.model.tags}),
            )
        ]
        found.sort(key=lambda d: d.model.name)
        chunk, token = page_of(found, max_results, text(args, "page_token", required=False))
        body: dict[str, Any] = {
            "registered_models": [_registered(mlflow, s, principal, d) for d in chunk]
        }
    if token:
        body["next_page_token"] = token
    return body


def _latest_versions(
    args: dict[str, Any], ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    """MLflow stages are not supported: the latest version is the one answer."""
    with ctx.db.session() as s:
        details = mlflow.models.registry.get_model(s, principal, text(args, "name"))
        if not details.model.latest_version:
            return {"model_versions": []}
        version = mlflow.models.registry.get_version(s, principal, details.model.name, "latest")
        return {"model_versions": [protocol.version_json(version)]}


@router.post(f"{API}/registered-models/get-latest-versions")
def get_latest_versions(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    return _latest_versions(payload, ctx, principal, mlflow)


@router.get(f"{API}/registered-models/get-latest-versions")
def get_latest_versions_get(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    return _latest_versions(query(request), ctx, principal, mlflow)


# --- aliases -----------------------------------------------------------------------------------


@router.post(f"{API}/registered-models/alias")
def set_alias(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    version = integer(payload, "version", 0)
    if version < 1:
        raise invalid("version must be a positive number")
    with ctx.db.session() as s:
        mlflow.models.registry.set_alias(
            s, principal, text(payload, "name"), text(payload, "alias"), version
        )
    return {}


@router.delete(f"{API}/registered-models/alias")
def delete_alias(
    payload: JsonBody, request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    args = payload or query(request)
    with ctx.db.session() as s:
        mlflow.models.registry.delete_alias(s, principal, text(args, "name"), text(args, "alias"))
    return {}


@router.get(f"{API}/registered-models/alias")
def get_by_alias(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    args = query(request)
    alias = text(args, "alias")
    if alias.isdigit() or alias == "latest":
        raise NotFound(f"alias {alias!r} not found")
    with ctx.db.session() as s:
        details = mlflow.models.registry.get_version(s, principal, text(args, "name"), alias)
        return {"model_version": protocol.version_json(details)}


# --- model versions ----------------------------------------------------------------------------


@router.post(f"{API}/model-versions/create")
def create_model_version(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    details = mlflow.models.create_version(
        ctx.db.session,
        principal,
        name=text(payload, "name"),
        source=text(payload, "source"),
        run_id=text(payload, "run_id", required=False) or None,
        model_id=text(payload, "model_id", required=False) or None,
        description=text(payload, "description", required=False),
        tags=pairs(payload, "tags"),
    )
    return {"model_version": protocol.version_json(details)}


@router.get(f"{API}/model-versions/get")
def get_model_version(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    args = query(request)
    with ctx.db.session() as s:
        details = mlflow.models.get_version(s, principal, text(args, "name"), text(args, "version"))
        return {"model_version": protocol.version_json(details)}


@router.patch(f"{API}/model-versions/update")
def update_model_version(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    changes = {"description": text(payload, "description", required=False)}
    with ctx.db.session() as s:
        details = mlflow.models.update_version_meta(
            s, principal, text(payload, "name"), text(payload, "version"), changes
        )
        return {"model_version": protocol.version_json(details)}


@router.post(f"{API}/model-versions/set-tag")
def set_model_version_tag(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    tags = {text(payload, "key"): text(payload, "value", required=False)}
    with ctx.db.session() as s:
        mlflow.models.update_version_meta(
            s, principal, text(payload, "name"), text(payload, "version"), {"tags": tags}
        )
    return {}


@router.delete(f"{API}/model-versions/delete-tag")
def delete_model_version_tag(
    payload: JsonBody, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    with ctx.db.session() as s:
        mlflow.models.update_version_meta(
            s,
            principal,
            text(payload, "name"),
            text(payload, "version"),
            {},
            remove_tag=text(payload, "key"),
        )
    return {}


@router.get(f"{API}/model-versions/get-download-uri")
def get_download_uri(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    args = query(request)
    with ctx.db.session() as s:
        details = mlflow.models.get_version(s, principal, text(args, "name"), text(args, "version"))
    path = version_meta(details).get("source_path")
    if not path:
        raise invalid(f"version {details.version.version} was not registered through MLflow")
    return {"artifact_uri": protocol.ARTIFACT_SCHEME + path}


@router.get(f"{API}/model-versions/search")
def search_model_versions(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    args = query(request)
    clauses = search.parse_filter(text(args, "filter", required=False))
    names = [c.value for c in clauses if c.key == "name" and c.comparator == "="]
    max_results = integer(args, "max_results", 1000)
    if not 1 <= max_results <= 200_000:
        raise invalid("max_results must be between 1 and 200000")
    with ctx.db.session() as s:
        models = names or [d.model.name for d in _all_models(mlflow, s, principal)]
        versions: list[VersionDetails] = []
        for name in models:
            try:
                versions.extend(mlflow.models.versions_of(s, principal, str(name)))
            except NotFound:
                continue

        def lookup(d: VersionDetails) -> search.Lookup:
            meta = version_meta(d)
            attributes = {
                "name": d.model_name,
                "version": float(d.version.version),
                "version_number": float(d.version.version),
                "run_id": meta.get("run_id") or "",
                "source": meta.get("source", ""),
                "source_path": meta.get("source_path", ""),
            }
            return search.lookup_in({"attributes": attributes, "tags": meta.get("tags") or {}})

        found = [d for d in versions if search.matches(clauses, lookup(d))]
        found.sort(key=lambda d: (d.model_name, -d.version.version))
        chunk, token = page_of(found, max_results, text(args, "page_token", required=False))
        body: dict[str, Any] = {"model_versions": [protocol.version_json(d) for d in chunk]}
    if token:
        body["next_page_token"] = token
    return body


# --- everything else ---------------------------------------------------------------------------

_UNSUPPORTED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@router.api_route(f"{API}/{{endpoint:path}}", methods=_UNSUPPORTED_METHODS)
@router.api_route(f"{ARTIFACTS_API}/{{endpoint:path}}", methods=_UNSUPPORTED_METHODS)
def endpoint_not_found(endpoint: str, request: Request) -> JSONResponse:
    """What Maestro does not serve (traces, prompts, scorers, webhooks, stages, ...)."""
    return mlflow_response(
        request,
        ENDPOINT_NOT_FOUND,
        f"{request.method} {request.url.path} is not supported by Maestro's MLflow API",
        404,
        "not_found",
    )
