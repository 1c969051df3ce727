"""Static assets (vendored, served from the package) and the offline API docs pages.

`/docs` (Swagger UI) and `/redoc` load their scripts from here instead of a CDN, and start
from an external script, so they render with no internet and under a policy without inline
script.
"""

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from maestro.errors import NotFound
from maestro.web.security import DOCS_CSP, ConsoleRoute
from maestro.web.templating import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

STATIC = (Path(__file__).parent / "static").resolve()
# Vendored files change only with a release; an hour keeps navigation snappy without pinning.
CACHE = "public, max-age=3600"


@router.get("/static/{path:path}")
def static_file(path: str) -> Response:
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file():
        raise NotFound(f"no static file {path!r}")
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target, media_type=media_type, headers={"Cache-Control": CACHE})


def _docs_page(request: Request, template: str) -> Response:
    response = render(request, template, {"openapi_url": request.app.openapi_url})
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@router.get("/docs")
def swagger_ui(request: Request) -> Response:
    return _docs_page(request, "swagger.html")


@router.get("/redoc")
def redoc(request: Request) -> Response:
    return _docs_page(request, "redoc.html")
