"""What every MLflow router shares: the service bundle, argument parsing, the route class."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from maestro.api.deps import Context
from maestro.errors import ValidationFailed
from maestro.mlflow_compat.artifacts import ArtifactProxy
from maestro.mlflow_compat.errors import MlflowRoute, invalid
from maestro.mlflow_compat.models import ModelBridge
from maestro.mlflow_compat.tracking import TrackingService
from maestro.services.json_values import check_value

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts"


@dataclass
class Services:
    tracking: TrackingService
    artifacts: ArtifactProxy
    models: ModelBridge


def _services(ctx: Context) -> Services:
    """Built once per app on first use (kept on the context) over its Maestro services."""
    existing = getattr(ctx, "_mlflow_services", None)
    if existing is None:
        tracking = TrackingService(ctx.experiments)
        artifacts = ArtifactProxy(
            ctx.quotas, ctx.artifacts, max_bytes=ctx.settings.max_upload_bytes
        )
        existing = Services(tracking, artifacts, ModelBridge(ctx.registry, tracking, artifacts))
        ctx._mlflow_services = existing  # type: ignore[attr-defined]
    return existing


Mlflow = Annotated[Services, Depends(_services)]


def _storable_body(
    payload: Annotated[dict[str, Any], Body(default_factory=dict)],
) -> dict[str, Any]:
    """The JSON body, held to the rules of every other route (`services.json_values`).

    MLflow's routes take free-form bodies rather than request models, so without this a NUL
    character in a name or tag reached PostgreSQL (a server error) and NaN reached JSON columns.
    """
    try:
        return check_value(payload, "body")
    except ValidationFailed as exc:
        raise invalid(exc.message) from None


JsonBody = Annotated[dict[str, Any], Depends(_storable_body)]


def mlflow_router() -> APIRouter:
    # Not in Maestro's OpenAPI document: this is MLflow's API, documented by MLflow; its
    # isolation is proven by tests/mlflow_compat/test_isolation.py over the app's routes.
    return APIRouter(route_class=MlflowRoute, include_in_schema=False, tags=["mlflow"])


def query(request: Request) -> dict[str, Any]:
    """GET arguments as MLflow's client sends them: repeated keys become lists."""
    args: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in args:
            existing = args[key]
            args[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            args[key] = value
    return args


def text(args: dict[str, Any], name: str, *, required: bool = True, default: str = "") -> str:
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"missing value for required parameter '{name}'")
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise invalid(f"parameter '{name}' must be a string")
    return str(value)


def integer(args: dict[str, Any], name: str, default: int) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise invalid(f"parameter '{name}' must be an integer") from exc


def strings(args: dict[str, Any], name: str) -> list[str]:
    value = args.get(name)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values]


def pairs(args: dict[str, Any], name: str) -> dict[str, str]:
    """MLflow's `[{"key": k, "value": v}, ...]` lists as a dict."""
    value = args.get(name) or []
    if not isinstance(value, list):
        raise invalid(f"parameter '{name}' must be a list of key/value objects")
    result: dict[str, str] = {}
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise invalid(f"parameter '{name}' must be a list of key/value objects")
        key = item["key"]
        if not key or len(key) > 250:
            raise invalid(f"invalid key {key[:50]!r} in '{name}'")
        result[key] = "" if item.get("value") is None else str(item["value"])
    return result
