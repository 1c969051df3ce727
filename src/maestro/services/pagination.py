"""Keyset pagination over (created_at, id), stable under concurrent inserts."""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from maestro.errors import ValidationFailed

MAX_PAGE_SIZE = 500
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


MAX_CURSOR_LENGTH = 1000
_INVALID = "invalid cursor"
_MAX_INT = 2**62  # below every integer column's limit (steps, row ids)


def encode_cursor(*parts: str | int) -> str:
    """An opaque, URL-safe token for the keyset position `parts`."""
    raw = json.dumps(list(parts)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    """The flat list of `arity` strings and integers a cursor encodes, or a 422.

    A cursor comes back from the client, so it is input like any other: bounded in length,
    a flat list of scalars (no nesting to recurse into), and each part checked by its reader.
    """
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _malformed()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, RecursionError) as exc:
        raise _malformed() from exc
    if (
        not isinstance(parts, list)
        or len(parts) != arity
        or not all(isinstance(p, str | int) and not isinstance(p, bool) for p in parts)
    ):
        raise _malformed()
    return parts


def cursor_datetime(value: Any) -> datetime:
    """An ISO timestamp of a cursor as aware UTC (naive ones taken as UTC), within year 1-9999."""
    try:
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, TypeError, OverflowError) as exc:
        raise _malformed() from exc


def cursor_int(value: Any) -> int:
    if not isinstance(value, int) or not 0 <= value <= _MAX_INT:
        raise _malformed()
    return value


def cursor_id(value: Any) -> str:
    """A row id: printable, short; a NUL would be an error on PostgreSQL, not a miss."""
    if not isinstance(value, str) or len(value) > 64 or not value.isprintable():
        raise _malformed()
    return value


def _malformed() -> ValidationFailed:
    return ValidationFailed(_INVALID, details={"cursor": "malformed"})


def _encode(created_at: datetime, row_id: str) -> str:
    return encode_cursor(created_at.isoformat(), row_id)


def _decode(cursor: str) -> tuple[datetime, str]:
    created, row_id = decode_cursor(cursor, 2)
    return cursor_datetime(created), cursor_id(row_id)


def paginate(
    session: Session,
    statement: Select[Any],
    *,
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[str],
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> Page[Any]:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    if cursor:
        after_created, after_id = _decode(cursor)
        if newest_first:
            statement = statement.where(
                or_(
                    created_at < after_created, and_(created_at == after_created, row_id < after_id)
                )
            )
        else:
            statement = statement.where(
                or_(
                    created_at > after_created, and_(created_at == after_created, row_id > after_id)
                )
            )
    order = (created_at.desc(), row_id.desc()) if newest_first else (created_at, row_id)
    rows = session.scalars(statement.order_by(*order).limit(limit + 1)).all()
    items = list(rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode(getattr(last, created_at.key), getattr(last, row_id.key))
    return Page(items=items, next_cursor=next_cursor)
