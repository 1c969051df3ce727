"""Keyset pagination over (created_at, id), stable under concurrent inserts."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime
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


def _encode(created_at: datetime, row_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created), str(row_id)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("invalid cursor", details={"cursor": "malformed"}) from exc


def paginate(
    session: Session,
    statement: Select[Any],
    *,
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[str],
    limit: int,
    cursor: str | None,
) -> Page[Any]:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    if cursor:
        after_created, after_id = _decode(cursor)
        statement = statement.where(
            or_(created_at > after_created, and_(created_at == after_created, row_id > after_id))
        )
    rows = session.scalars(statement.order_by(created_at, row_id).limit(limit + 1)).all()
    items = list(rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode(getattr(last, created_at.key), getattr(last, row_id.key))
    return Page(items=items, next_cursor=next_cursor)
