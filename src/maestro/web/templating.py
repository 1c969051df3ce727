"""Jinja2 rendering for the console: autoescaped templates and the values every page needs."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def _size(value: int | None) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(value)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _compact_json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


_env.filters["when"] = _when
_env.filters["size"] = _size
_env.filters["number"] = _number
_env.filters["compact"] = _compact_json


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render `template` with the signed-in user and their CSRF token, when there is one."""
    console = getattr(request.state, "console", None)
    values = {
        "request": request,
        "me": console.principal if console else None,
        "csrf_token": console.csrf_token if console else None,
        "path": request.url.path,
        **(context or {}),
    }
    html = _env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)
