"""Request body limits that answer with the API's error envelope.

Starlette's built-in limiter answers a plain-text 413 from outside the exception handlers; ours
keeps the envelope and the error metrics. JSON calls get a small limit, multipart uploads the
upload limit (the artifact store enforces its own on the stream as well), and prediction calls
a limit sized for their largest allowed batch.
"""

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maestro.api import state


class BodySizeLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, json_limit: int, upload_limit: int, predict_limit: int
    ) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit
        self.predict_limit = predict_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = b""
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"content-length" and value.isdigit():
                declared = int(value)
        if content_type.startswith(b"multipart/") or scope["path"].startswith(
            "/api/2.0/mlflow-artifacts/"  # the MLflow artifact proxy: raw file bodies
        ):
            limit = self.upload_limit
        elif scope["path"].endswith("/predict"):
            limit = self.predict_limit
        else:
            limit = self.json_limit
        if declared is not None and declared > limit:
            await self._refuse(scope, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes through FastAPI's body parsing to our handlers.
                    raise HTTPException(413, f"request body exceeds {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        state.request_state(scope)[state.ERROR_CODE] = "payload_too_large"
        body = json.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": f"request body exceeds {limit} bytes",
                    "details": {"limit_bytes": limit},
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
