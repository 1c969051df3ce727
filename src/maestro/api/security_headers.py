"""Browser protections on every response: `nosniff` always; CSP and no framing for HTML.

The model card's HTML and the interactive docs are the API's HTML pages. A card embeds user
strings (escaped when rendered); the policy is the second wall should an escape ever be missed:
no script at all, no external loads, no framing. `/docs` and `/redoc` load their bundles from
the CDN FastAPI uses, so their policy allows exactly that. Another HTML surface (a web console)
reuses `html_headers` with its own policy.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# For pages built from user data (model cards): inline styles only.
STRICT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Swagger UI / ReDoc as FastAPI serves them: bundles from jsdelivr, one inline boot script.
DOCS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")


def html_headers(csp: str) -> list[tuple[bytes, bytes]]:
    """The headers every HTML response carries, with the page's own policy."""
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] in DOCS_PATHS else STRICT_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff")]
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    extra += html_headers(csp)
                # A page that set its own policy (or any of these) keeps it.
                message = {**message, "headers": headers + [h for h in extra if h[0] not in names]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
