"""Shapes shared by every resource: strict request base, list pages, slugs."""

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from maestro.errors import ValidationFailed
from maestro.services.json_values import MAX_JSON_BYTES, check_value

T = TypeVar("T")

Slug = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", max_length=63)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _utc(moment: datetime) -> datetime:
    """Aware UTC (naive taken as UTC); a moment that leaves year 1-9999 in UTC is a 422."""
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("timestamp out of range once converted to UTC") from exc


def _iso_only(value: Any) -> Any:
    if isinstance(value, int | float):
        raise ValueError("a timestamp is an ISO 8601 string, not a number")
    return value


def _json_number(value: Any) -> Any:
    """A number as JSON has them: `true` or `"5"` is not one (pydantic's lax mode takes both),
    while `5.0` is an integer, as JSON Schema says."""
    if isinstance(value, bool | str | bytes):
        raise ValueError("expected a JSON number")
    return value


JSON_NUMBER = BeforeValidator(_json_number)
JsonInt = Annotated[int, JSON_NUMBER]
JsonFloat = Annotated[float, JSON_NUMBER]


# An ISO 8601 string (not a number of seconds: the schema says `date-time`), stored as UTC.
UtcDateTime = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_utc)]


class RequestModel(BaseModel):
    """Unknown fields are an error: a typo in a field name must not be silently ignored.

    Every field must also be storable as given on every database (`services.json_values`):
    no NUL character, no NaN or infinity, bounded nesting, and JSON objects of bounded size.
    A field that never reaches a column (prediction inputs) is listed in `unstored_fields`.
    """

    model_config = ConfigDict(extra="forbid")
    unstored_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _storable(self) -> Self:
        for name, value in self.__dict__.items():
            if name in self.unstored_fields:
                continue
            limit = MAX_JSON_BYTES if isinstance(value, dict) else None
            try:
                check_value(value, name, max_bytes=limit)
            except ValidationFailed as exc:
                raise ValueError(exc.message) from None
        return self


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


PageLimit = Annotated[int, Field(ge=1, le=500)]
CURSOR_HELP = "`next_cursor` of the previous page, as given (URL-safe base64)"


def cursor_param(fmt: str) -> Any:
    """An opaque cursor: the `next_cursor` of the previous page, unchanged. Malformed ones are a
    422; `fmt` names the list's encoding in the document (a fuzzer can then make valid ones)."""
    return Query(description=CURSOR_HELP, json_schema_extra={"format": fmt})


Cursor = Annotated[str | None, cursor_param("maestro-cursor")]
