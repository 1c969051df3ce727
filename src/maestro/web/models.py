"""Model registry pages: the searchable list, a model with its versions, a version with its card.

Writes (aliases, deploy, undeploy) are plain form posts that redirect back (post/redirect/get);
the services refuse them for a viewer whatever the page showed.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from maestro.api.deps import Context
from maestro.errors import ValidationFailed
from maestro.web.auth import Signed, Writer
from maestro.web.security import CARD_CSP, ConsoleRoute
from maestro.web.templating import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50
MAX_TRY_INSTANCES = 100


@router.get("/models")
def list_models(
    request: Request,
    ctx: Context,
    user: Signed,
    q: Annotated[str | None, Query(max_length=100)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    with ctx.db.read_session() as session:
        page = ctx.registry.list_models(
            session, user.principal, limit=PAGE_SIZE, cursor=cursor, search=q, newest_first=True
        )
        return render(request, "models.html", {"page": page, "q": q or ""})


@router.get("/models/{name}")
def model_page(
    request: Request,
    name: str,
    ctx: Context,
    user: Signed,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    with ctx.db.read_session() as session:
        details = ctx.registry.get_model(session, user.principal, name)
        versions = ctx.registry.list_versions(
            session, user.principal, name, limit=PAGE_SIZE, cursor=cursor
        )
        return render(request, "model.html", {"details": details, "versions": versions})


def _back(name: str) -> RedirectResponse:
    return RedirectResponse(f"/models/{name}", status_code=303)


@router.post("/models/{name}/aliases")
def set_alias(
    name: str,
    ctx: Context,
    user: Writer,
    alias: Annotated[str, Form(max_length=63)],
    version: Annotated[int, Form(ge=1)],
) -> Response:
    with ctx.db.session() as session:
        ctx.registry.set_alias(session, user.principal, name, alias.strip(), version)
    return _back(name)


@router.post("/models/{name}/aliases/{alias}/delete")
def delete_alias(name: str, alias: str, ctx: Context, user: Writer) -> Response:
    with ctx.db.session() as session:
        ctx.registry.delete_alias(session, user.principal, name, alias)
    return _back(name)


@router.post("/models/{name}/deploy")
def deploy(name: str, ctx: Context, user: Writer, version: Annotated[int, Form(ge=1)]) -> Response:
    ctx.serving.deploy(ctx.db, user.principal, name, str(version))
    return _back(name)


@router.post("/models/{name}/undeploy")
def undeploy(name: str, ctx: Context, user: Writer) -> Response:
    with ctx.db.session() as session:
        ctx.registry.undeploy(session, user.principal, name)
    return _back(name)


@router.get("/models/{name}/versions/{version}")
def version_page(request: Request, name: str, version: str, ctx: Context, user: Signed) -> Response:
    with ctx.db.read_session() as session:
        details = ctx.registry.get_model(session, user.principal, name)
        found = ctx.registry.get_version(session, user.principal, name, version)
        deployed = (
            details.deployment is not None and details.deployment.version_id == found.version.id
        )
        example = _example_instance(found.version.metadata_ or {})
        return render(
            request,
            "version.html",
            {
                "details": details,
                "found": found,
                "deployed": deployed,
                "example": json.dumps([example], indent=2) if example else "[]",
            },
        )


@router.get("/models/{name}/versions/{version}/card")
def version_card(name: str, version: str, ctx: Context, user: Signed) -> Response:
    """The card as its own document, for a sandboxed frame (inline CSS, no script allowed)."""
    with ctx.db.read_session() as session:
        text, media_type = ctx.cards.render(session, user.principal, name, version, "html")
    return Response(text, media_type=media_type, headers={"Content-Security-Policy": CARD_CSP})


@router.post("/models/{name}/versions/{version}/predict")
async def try_predict(
    request: Request,
    name: str,
    version: str,
    ctx: Context,
    user: Writer,
    instances: Annotated[str, Form(max_length=200_000)],
) -> Response:
    """Send the typed instances to the deployed version; answers with a fragment for htmx."""
    rows = _parse_instances(instances)
    result = await run_in_threadpool(ctx.serving.predict, ctx.db, user.principal, name, rows)
    return render(request, "_predictions.html", {"result": result, "rows": rows})


def _parse_instances(text: str) -> list[dict[str, Any]]:
    try:
        rows = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(f"instances are not valid JSON: {exc.msg}") from exc
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValidationFailed("instances must be a JSON object or a list of objects")
    if not 1 <= len(rows) <= MAX_TRY_INSTANCES:
        raise ValidationFailed(f"send between 1 and {MAX_TRY_INSTANCES} instances")
    return rows


def _example_instance(metadata: dict[str, Any]) -> dict[str, Any] | None:
    """A starting row for the try-it form, from the input schema the version recorded."""
    schema = metadata.get("input_schema")
    if not isinstance(schema, dict) or not schema:
        return None
    return {str(name): _sample(str(dtype)) for name, dtype in schema.items()}


def _sample(dtype: str) -> Any:
    kind = dtype.lower()
    if kind.startswith(("int", "uint")):
        return 0
    if kind.startswith(("float", "decimal")):
        return 0.0
    return False if kind.startswith("bool") else ""
