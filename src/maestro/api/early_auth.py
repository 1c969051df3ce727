"""Authenticate a request that carries a body before any of the body is read.

FastAPI reads and parses the body (a multipart upload is spooled to disk) before it resolves
the `authenticate` dependency, so an anonymous client could make the server receive 500 MB
only to answer 401. Here a request with a body to an API path is authenticated (and charged to
its rate-limit budget) from its headers alone; a refusal is sent before the first body byte is
read, with `Connection: close`, in the error shape of the API the path belongs to (Maestro's
envelope, or MLflow's on the MLflow-compatible routes). The principal is left in the request
state, where the dependency finds it, so nothing is checked or charged twice.
"""

from collections.abc import Callable, Mapping
from typing import Any

from anyio import to_thread
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from maestro.api import state
from maestro.api.deps import authenticate
from maestro.api.errors import send_refusal
from maestro.errors import MaestroError

# Renders a refusal as (HTTP status, JSON body) in one API's error shape.
ErrorShape = Callable[[MaestroError], tuple[int, Mapping[str, Any]]]


def envelope(exc: MaestroError) -> tuple[int, Mapping[str, Any]]:
    return exc.status_code, {
        "error": {"code": exc.code, "message": exc.message, "details": exc.details}
    }


class EarlyAuthMiddleware:
    def __init__(self, app: ASGIApp, *, prefixes: Mapping[str, ErrorShape]) -> None:
        self.app = app
        self.prefixes = dict(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        shape = self._shape(scope)
        if shape is None or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            principal = await to_thread.run_sync(
                authenticate, request, request.app.state.ctx, abandon_on_cancel=True
            )
        except MaestroError as exc:
            await _refuse(scope, send, exc, shape)
            return
        state.request_state(scope)[state.PRINCIPAL] = principal
        await self.app(scope, receive, send)

    def _shape(self, scope: Scope) -> ErrorShape | None:
        if scope["type"] != "http":
            return None
        for prefix, shape in self.prefixes.items():
            if scope["path"].startswith(prefix):
                return shape
        return None


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"0", b"")
        if name == b"transfer-encoding":
            return True
    return False


async def _refuse(scope: Scope, send: Send, exc: MaestroError, shape: ErrorShape) -> None:
    status, payload = shape(exc)
    await send_refusal(scope, send, status, exc.code, payload)
