"""Pure-ASGI middleware that adds the IETF rate-limit headers decided during authentication."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maestro.api import state
from maestro.ratelimit import rate_limit_headers


class RateLimitHeadersMiddleware:
    """Adds RateLimit-Policy / RateLimit (and Retry-After on 429) to every rate-limited response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_state = state.request_state(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and state.RATE_LIMIT in request_state:
                decision, policy = request_state[state.RATE_LIMIT]
                extra = [
                    (name.lower().encode(), value.encode())
                    for name, value in rate_limit_headers(decision, policy)
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
