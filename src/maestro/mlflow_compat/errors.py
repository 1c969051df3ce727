"""MLflow's error shape, `{"error_code", "message"}`, for every failure on the MLflow routes.

Maestro's domain errors keep their meaning: another tenant's object is RESOURCE_DOES_NOT_EXIST,
a role refusal PERMISSION_DENIED, a quota RESOURCE_EXHAUSTED, bad input INVALID_PARAMETER_VALUE,
the rate limit REQUEST_LIMIT_EXCEEDED with HTTP 429 and `Retry-After` (which the MLflow client
retries). A quota is answered with HTTP 403, not MLflow's 429: the client retries every 429, and
retrying cannot free a quota. Nothing on these routes answers 500 for bad input.
"""

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from maestro.api import state
from maestro.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    MaestroError,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    RateLimited,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)

logger = logging.getLogger("maestro.mlflow")

RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
INVALID_STATE = "INVALID_STATE"
PERMISSION_DENIED = "PERMISSION_DENIED"
ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"

# Most specific first: QuotaExceeded is a 403 like Forbidden but means something else.
_BY_ERROR: list[tuple[type[MaestroError], str, int]] = [
    (QuotaExceeded, "RESOURCE_EXHAUSTED", 403),
    (RateLimited, "REQUEST_LIMIT_EXCEEDED", 429),
    (Unauthenticated, "UNAUTHENTICATED", 401),
    (Forbidden, PERMISSION_DENIED, 403),
    (NotFound, RESOURCE_DOES_NOT_EXIST, 404),
    (Conflict, RESOURCE_ALREADY_EXISTS, 400),
    (PayloadTooLarge, INVALID_PARAMETER_VALUE, 413),
    (UnsupportedMediaType, INVALID_PARAMETER_VALUE, 415),
    (ValidationFailed, INVALID_PARAMETER_VALUE, 400),
    (BadRequest, INVALID_PARAMETER_VALUE, 400),
]


class MlflowError(MaestroError):
    """An error whose MLflow code is decided by the caller (e.g. INVALID_STATE)."""

    status_code = 400

    def __init__(self, error_code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.code = error_code.lower()
        self.error_code = error_code
        self.status_code = status


def invalid(message: str) -> MlflowError:
    return MlflowError(INVALID_PARAMETER_VALUE, message)


def mlflow_code(exc: MaestroError) -> tuple[str, int]:
    if isinstance(exc, MlflowError):
        return exc.error_code, exc.status_code
    for kind, code, status in _BY_ERROR:
        if isinstance(exc, kind):
            return code, status
    return "INTERNAL_ERROR", 500


def mlflow_shape(exc: MaestroError) -> tuple[int, dict[str, str]]:
    """MLflow's error body for a refusal made before any MLflow route runs (early auth)."""
    error_code, status = mlflow_code(exc)
    return status, {"error_code": error_code, "message": exc.message}


def mlflow_response(
    request: Request, error_code: str, message: str, status: int, maestro_code: str
) -> JSONResponse:
    # The metrics middleware labels errors with Maestro's codes, as on every other route.
    state.request_state(request.scope)[state.ERROR_CODE] = maestro_code
    return JSONResponse({"error_code": error_code, "message": message}, status_code=status)


class MlflowRoute(APIRoute):
    """Renders every failure of the wrapped endpoint in MLflow's error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def mlflow_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except MaestroError as exc:
                code, status = mlflow_code(exc)
                return mlflow_response(request, code, exc.message, status, exc.code)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(part) for part in first.get("loc", ()))
                message = f"invalid request: {where} {first.get('msg', '')}".strip()
                return mlflow_response(
                    request, INVALID_PARAMETER_VALUE, message, 400, "validation_error"
                )
            except HTTPException as exc:  # e.g. the body limit while reading the body
                message = exc.detail if isinstance(exc.detail, str) else "request failed"
                code = INVALID_PARAMETER_VALUE if exc.status_code < 500 else "INTERNAL_ERROR"
                return mlflow_response(request, code, message, exc.status_code, "http_error")

        return mlflow_handler
