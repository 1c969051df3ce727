"""Signing in and out, and the dependencies that give a page its signed-in user.

The sign-in form takes an API key once and exchanges it for a server-side session; the cookie
holds only the session's random token (HttpOnly, SameSite=Strict, Secure over HTTPS). Before a
session exists, the sign-in form is protected by a double-submit token in its own short cookie.
Every write form carries the session's CSRF token, checked before the handler runs.
"""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from maestro.api.deps import Context, admit, enforce_anonymous
from maestro.errors import Unauthenticated
from maestro.services.console_sessions import ConsoleUser
from maestro.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    ConsoleRoute,
    new_token,
    require_csrf_match,
    submitted_csrf,
)
from maestro.web.templating import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def console_user(request: Request, ctx: Context) -> ConsoleUser:
    """The session's user, resolved afresh on every request, then rate-limited like the API."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthenticated("sign in to use the console")
    with ctx.db.read_session() as session:
        user = ctx.console_sessions.resolve(session, token)
    admit(request, ctx, user.user)
    request.state.console = user
    return user


Signed = Annotated[ConsoleUser, Depends(console_user)]


async def checked_user(request: Request, user: Signed) -> ConsoleUser:
    """A signed-in user whose form (or htmx request) carries the session's CSRF token."""
    require_csrf_match(await submitted_csrf(request), user.csrf_token)
    return user


Writer = Annotated[ConsoleUser, Depends(checked_user)]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _safe_next(target: str | None) -> str:
    """Only a local path: `next` must never send a signed-in user to another site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc or "\\" in target else target


def _login_page(request: Request, next_path: str, error: str | None, status: int) -> Response:
    token = new_token()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": next_path, "error": error},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=900,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, _safe_next(next), None, 200)


@router.post("/login")
def login(
    request: Request,
    ctx: Context,
    api_key: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    require_csrf_match(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE) or new_token())
    try:
        with ctx.db.session() as session:
            opened = ctx.console_sessions.open(session, api_key.strip())
    except Unauthenticated:
        enforce_anonymous(request, ctx)  # key guessing through the form is throttled too
        return _login_page(request, _safe_next(next), "That API key is not valid.", 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=int(ctx.console_sessions.lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, ctx: Context, user: Writer) -> Response:
    """End the session on the server (the cookie alone would not be enough), then forget it."""
    with ctx.db.session() as session:
        ctx.console_sessions.close(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
