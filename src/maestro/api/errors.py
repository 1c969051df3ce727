"""Every failure leaves as the `{"error": {code, message, details}}` envelope; never a traceback."""

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope, Send

from maestro.api import state
from maestro.api.routing import allowed_methods
from maestro.errors import MaestroError, NotFound, code_for_status

logger = logging.getLogger("maestro.api")


async def send_refusal(
    scope: Scope, send: Send, status: int, code: str, payload: dict[str, Any]
) -> None:
    """Answer from a middleware before the app runs; the body was not read, so close."""
    state.request_state(scope)[state.ERROR_CODE] = code
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    state.request_state(request.scope)[state.ERROR_CODE] = code
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> dict[str, Any]:
    # Only location, message and type: echoing the input could reflect secrets back.
    return {
        "errors": [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type")}
            for err in exc.errors()
        ]
    }


# Renders a domain error as an HTML page (the web console's), for browsers off the API paths.
ErrorPage = Callable[[Request, MaestroError], Response]


def _wants_page(request: Request) -> bool:
    """A browser navigating to an address no route serves, outside the JSON APIs."""
    path = request.url.path
    return not path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI, *, error_page: ErrorPage | None = None) -> None:
    @app.exception_handler(MaestroError)
    async def _maestro(request: Request, exc: MaestroError) -> JSONResponse:
        # A 429's Retry-After and RateLimit headers are added by RateLimitHeadersMiddleware.
        return error_response(request, exc.status_code, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(
            request, 422, "validation_error", "request validation failed", _validation_details(exc)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if error_page is not None and exc.status_code == 404 and _wants_page(request):
            return error_page(request, NotFound("there is no page at this address"))
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return error_response(
            request, exc.status_code, code_for_status(exc.status_code), message, headers=headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal_error", "internal server error")
