"""The console's HTTP hardening: security headers on every response, CSRF, and error pages.

Every console route uses `ConsoleRoute`, so no response (a page, a fragment, a redirect, an
error page) leaves without the Content-Security-Policy; the policy allows scripts only from this
origin, with no inline script and no `eval`, so escaped user text can never become code even if a
template forgot to escape it. Errors from the services become readable HTML pages with the same
status the API would return; never a stack trace.
"""

import logging
import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from maestro.api import state
from maestro.errors import Forbidden, MaestroError, Unauthenticated, ValidationFailed
from maestro.web.templating import render

logger = logging.getLogger("maestro.web")

SESSION_COOKIE = "maestro_session"
LOGIN_CSRF_COOKIE = "maestro_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

CONSOLE_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
# Swagger UI and ReDoc set inline styles and ReDoc starts a blob: worker; still no inline script.
DOCS_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
# A model card is a self-contained document with inline CSS, shown in a sandboxed frame.
CARD_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def harden(response: Response, csp: str = CONSOLE_CSP) -> None:
    """Add the security headers, keeping a stricter policy a handler already set."""
    for name, value in BASE_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", csp)
    if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
        response.headers.setdefault("X-Frame-Options", "DENY")
    if response.headers.get("content-type", "").startswith("text/html"):
        response.headers.setdefault("Cache-Control", "no-store")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(given: str | None, expected: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token of a form post (hidden field) or of an htmx request (header)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()  # parsed once; the handler's Form() parameters reuse it
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def _wants_fragment(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def error_page(request: Request, exc: MaestroError) -> Response:
    """The HTML for a domain error; a lost session goes back to the sign-in page."""
    state.request_state(request.scope)[state.ERROR_CODE] = exc.code
    if isinstance(exc, Unauthenticated):
        target = "/login"
        if request.method == "GET" and not _wants_fragment(request):
            target = f"/login?next={request.url.path}"
        if _wants_fragment(request):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(target, status_code=303)
    if _wants_fragment(request):
        return render(request, "_error_fragment.html", {"error": exc}, status_code=exc.status_code)
    return render(request, "error.html", {"error": exc}, status_code=exc.status_code)


def hardened_error_page(request: Request, exc: MaestroError) -> Response:
    """`error_page` with the console's headers, for errors no console route handled."""
    response = error_page(request, exc)
    harden(response)
    return response


class ConsoleRoute(APIRoute):
    """Renders domain and validation errors as pages and hardens every response."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except MaestroError as exc:
                response = error_page(request, exc)
            except RequestValidationError as exc:
                response = error_page(request, _validation_error(exc))
            harden(response)
            return response

        return console_handler


def _validation_error(exc: RequestValidationError) -> MaestroError:
    fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors()})
    return ValidationFailed("some fields are missing or invalid: " + ", ".join(fields))


def require_csrf_match(given: str | None, expected: str) -> None:
    if not tokens_match(given, expected):
        raise Forbidden("the form has expired or did not come from this console; reload the page")
