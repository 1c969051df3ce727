"""What a user-supplied value may hold before it reaches a column: the same on every database.

PostgreSQL refuses a NUL character in text, SQLite stores it; a JSON column would turn NaN or
infinity into `null` (or an error) depending on the driver; a value nested thousands deep makes
every later reader (serializers, card renderers) recurse until it fails. So every string, number
and JSON document from a request passes `check_value` first: no NUL, only finite numbers, bounded
nesting and encoded size. A violation is a 422 naming the field, never a row that later breaks.
"""

import json
import math
from typing import Any

from maestro.errors import ValidationFailed

MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 64 * 1024


def check_value(
    value: Any, field: str, *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int | None = None
) -> Any:
    """Return `value` unchanged if every database stores it as given; else a `ValidationFailed`.

    The walk is iterative, so a hostile depth cannot exhaust the stack while being measured.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise ValidationFailed(
                f"{field} is nested more than {max_depth} levels deep",
                details={"field": field, "max_depth": max_depth},
            )
        if isinstance(item, str):
            _check_text(item, field)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValidationFailed(
                f"{field} contains NaN or infinity, which JSON cannot store",
                details={"field": field},
            )
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str):
                    _check_text(key, field)
                stack.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in item)
    if max_bytes is not None and len(json.dumps(value)) > max_bytes:
        raise ValidationFailed(
            f"{field} is larger than {max_bytes} bytes as JSON",
            details={"field": field, "max_bytes": max_bytes},
        )
    return value


def parse_json(text: str, field: str, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """`json.loads` for a JSON text field (e.g. multipart metadata), with `check_value`'s rules."""
    if len(text) > max_bytes:
        raise ValidationFailed(
            f"{field} is larger than {max_bytes} bytes", details={"field": field}
        )
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ValidationFailed(f"{field} is not valid JSON", details={"field": field}) from exc
    return check_value(value, field)


def _check_text(text: str, field: str) -> None:
    if "\x00" in text:
        raise ValidationFailed(
            f"{field} contains a NUL character", details={"field": field, "reason": "nul"}
        )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
