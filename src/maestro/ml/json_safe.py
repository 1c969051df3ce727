"""One conversion to JSON-compatible values, shared by reports, metadata and predictions."""

import math
from datetime import date, datetime, time, timedelta
from typing import Any


def json_safe(value: Any) -> Any:
    """Recursively convert to JSON-compatible Python values."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return json_safe(value.item())
    return str(value)
