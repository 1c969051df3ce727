"""Checks on the request head, before any route, body read or database query.

- The whole header block is bounded (`MAESTRO_MAX_REQUEST_HEADER_BYTES`): a 431, not a request
  that ties up a worker with megabytes of headers.
- A NUL character in the path or query is a 422: SQLite would store it and PostgreSQL would
  refuse it with an error, so the same request must be rejected the same way on both.
"""

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from maestro.api.errors import send_refusal


class RequestHeadMiddleware:
    def __init__(self, app: ASGIApp, *, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if size > self.max_header_bytes:
            await _refuse(
                scope,
                send,
                431,
                "request_header_fields_too_large",
                f"request headers exceed {self.max_header_bytes} bytes",
            )
            return
        if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            await _refuse(
                scope, send, 422, "validation_error", "the path or query contains a NUL character"
            )
            return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    payload = {"error": {"code": code, "message": message, "details": {}}}
    await send_refusal(scope, send, status, code, payload)
