"""The OpenAPI document as the API really behaves: every error a route can answer, and its auth.

FastAPI documents only the success response and a 422 with its own `detail` shape. Ours answers
every failure with the `{"error": {...}}` envelope, from a handful of sources that can be read off
the route: authentication (401, 403, 429 for every protected route), a path that names a resource
(404), a request body (400 when it cannot be parsed, 413 past the body limit), a write (409 for a
conflict), a multipart upload (415 for a file type it does not take). What cannot be read off a
route is listed in `EXTRA_ERRORS`. A fuzzer (schemathesis) holds this document to the responses
in CI, so a route that answers a status it does not list fails a test.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, Field

ERROR_SCHEMA = "ErrorEnvelope"
SECURITY_SCHEME = "bearerAuth"
_CONSTRAINED = {"pattern", "enum", "const", "format", "contentMediaType"}
NO_NUL = "^[^\\u0000]*$"  # every database stores the string as given (api/request_head.py)

DESCRIPTIONS = {
    "400": "Malformed request (body not parseable) or an action the resource does not support",
    "401": "Missing, malformed or unknown API key",
    "403": "The caller's role does not allow this, or a quota is exhausted (`quota_exceeded`)",
    "404": "No such resource in the caller's tenant",
    "409": "Conflicts with the resource's current state",
    "413": "Request body or upload larger than the configured limit",
    "415": "Uploaded file type not supported",
    "422": "Request validation failed",
    "429": "Rate limit exceeded; see `Retry-After`",
    "503": "No serving process could answer in time (`serving_unavailable`); it is replaced, retry",
}

# Statuses a route answers that its shape does not reveal: (method, path) -> statuses.
EXTRA_ERRORS: dict[tuple[str, str], tuple[str, ...]] = {
    ("post", "/api/v1/training-jobs"): ("404",),  # dataset_id of no dataset in the tenant
    # unsupported_artifact; 503 when the sandboxed serving process dies or overruns its deadline
    ("post", "/api/v1/models/{name}/versions/{version}/deploy"): ("400", "503"),
    ("post", "/api/v1/models/{name}/predict"): ("400", "503"),
}


class ErrorDetail(BaseModel):
    code: str = Field(description="stable error code, e.g. `not_found`, `quota_exceeded`")
    message: str
    details: dict[str, Any]


class ErrorEnvelope(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _error_statuses(
    route: RouteContext, method: str, operation: dict[str, Any], auth: bool
) -> set[str]:
    statuses = {"422"} if "422" in operation.get("responses", {}) else set()
    if auth:
        statuses |= {"401", "403", "429"}
    if route.param_convertors:
        statuses.add("404")
    if "requestBody" in operation:
        statuses |= {"400", "413", "422"}
        if "multipart/form-data" in operation["requestBody"].get("content", {}):
            statuses.add("415")
    if auth and method in ("post", "put", "patch", "delete"):
        statuses.add("409")
    statuses.update(EXTRA_ERRORS.get((method, route.path_format or ""), ()))
    return statuses


def _forbid_nul(node: Any) -> None:
    """Say in every free-text string schema what `services.json_values` enforces: no NUL."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not _CONSTRAINED & set(node):
            node["pattern"] = NO_NUL
        if node.get("type") == "object" or "additionalProperties" in node:
            names = node.setdefault("propertyNames", {})
            if isinstance(names, dict) and not _CONSTRAINED & set(names):
                names["pattern"] = NO_NUL
        for value in node.values():
            _forbid_nul(value)
    elif isinstance(node, list):
        for value in node:
            _forbid_nul(value)


def build_openapi(app: FastAPI, authenticate: Callable[..., Any]) -> dict[str, Any]:
    """FastAPI's document plus the error responses and bearer auth of every operation."""
    schema = get_openapi(
        title=app.title, version=app.version, routes=app.routes, description=app.description
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(
        ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"]
    )
    schemas[ERROR_SCHEMA] = {
        k: v
        for k, v in ErrorEnvelope.model_json_schema(
            ref_template="#/components/schemas/{model}"
        ).items()
        if k != "$defs"
    }
    for stale in ("HTTPValidationError", "ValidationError"):
        schemas.pop(stale, None)
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`mst_...`)",
    }
    for component in schemas.values():
        _forbid_nul(component)
    envelope = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}}
    for route in iter_route_contexts(app.routes):
        api_route = route.original_route
        if not isinstance(api_route, APIRoute) or not route.include_in_schema:
            continue
        auth = _depends_on(api_route.dependant, authenticate)
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            if auth:
                operation["security"] = [{SECURITY_SCHEME: []}]
            for parameter in operation.get("parameters", []):
                _forbid_nul(parameter.get("schema", {}))
            responses = operation.setdefault("responses", {})
            for status in sorted(_error_statuses(route, method.lower(), operation, auth)):
                responses[status] = {"description": DESCRIPTIONS[status], "content": envelope}
    return schema


def install_openapi(app: FastAPI, authenticate: Callable[..., Any]) -> None:
    """Serve `build_openapi`'s document (built once, on first request) at `/openapi.json`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, authenticate)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
