"""The experiments table sorted in the database, by an attribute, a parameter or a metric.

A page is sorted by `name`, `group`, `status`, `created` or `finished`, by `params.<name>` or by
`metrics.<name>` (the series' last value: highest step, then latest timestamp, then latest
insertion, as `ExperimentService.latest_metrics_of` reads it). Missing values (no such parameter
or metric, no group, not finished) sort last in both orders. A parameter sorts its numbers
numerically first, then every other value by its text.

Pages are keyset pages over the sort keys then the id, so they stay right across pages whatever
the sort; a cursor carries a digest of its sort, and one from another sort is a 400, not a page
of some other ordering.
"""

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from maestro.db.models import Experiment, LatestMetric
from maestro.errors import BadRequest, ValidationFailed
from maestro.services.experiments import filtered
from maestro.services.pagination import (
    MAX_PAGE_SIZE,
    Page,
    cursor_datetime,
    cursor_id,
    decode_cursor,
    encode_cursor,
)
from maestro.services.principal import Principal

ATTRIBUTES = ("name", "group", "status", "created", "finished")
PARAM_PREFIX, METRIC_PREFIX = "params.", "metrics."
MAX_NAME_LENGTH = 200  # as long as a metric name may be
_DESCENDING_FIRST = ("created", "finished")  # newest first is what one wants from a date
_NUMBER, _TEXT, _MOMENT = "number", "text", "moment"


@dataclass(frozen=True)
class ExperimentSort:
    """One sortable column and its direction; `column` is as in `?sort=`."""

    column: str
    descending: bool

    @property
    def order(self) -> str:
        return "desc" if self.descending else "asc"

    def toggled(self, column: str) -> "ExperimentSort":
        """The sort a click on `column`'s header asks for: the other order if it is this one."""
        if column == self.column:
            return ExperimentSort(column, not self.descending)
        return ExperimentSort(column, _first_descending(column))

    @property
    def digest(self) -> str:
        """What a cursor carries to say which sort it belongs to (short, opaque)."""
        return hashlib.sha256(f"{self.column}\0{self.order}".encode()).hexdigest()[:16]


DEFAULT_SORT = ExperimentSort("created", descending=True)


def _first_descending(column: str) -> bool:
    return column in _DESCENDING_FIRST


def parse_sort(sort: str | None, order: str | None) -> ExperimentSort:
    """`?sort=&order=` as an `ExperimentSort`, or a 422 naming what is wrong."""
    if order not in (None, "", "asc", "desc"):
        raise ValidationFailed("order must be asc or desc", details={"order": order})
    column = sort or DEFAULT_SORT.column
    if column not in ATTRIBUTES:
        prefix = next((p for p in (PARAM_PREFIX, METRIC_PREFIX) if column.startswith(p)), None)
        name = column[len(prefix) :] if prefix else ""
        if not prefix or not _sortable_name(name):
            raise ValidationFailed(
                f"sort by one of {', '.join(ATTRIBUTES)}, params.<name> or metrics.<name>",
                details={"sort": column[:MAX_NAME_LENGTH]},
            )
    descending = order == "desc" if order else _first_descending(column)
    return ExperimentSort(column, descending)


def _sortable_name(name: str) -> bool:
    """Quotes and backslashes cannot be spelled in a SQLite JSON path, so they are refused."""
    return (
        0 < len(name) <= MAX_NAME_LENGTH
        and name.isprintable()
        and '"' not in name
        and "\\" not in name
    )


@dataclass(frozen=True)
class _Key:
    expression: ColumnElement[Any]
    kind: str
    nullable: bool
    join: tuple[Any, ColumnElement[bool]] | None = None  # an outer join the key reads from


def _keys(sort: ExperimentSort, dialect: str) -> list[_Key]:
    """The ordered sort keys (the id is appended after them as the tie-breaker)."""
    attributes = {
        "name": _Key(Experiment.name, _TEXT, nullable=False),
        "group": _Key(Experiment.group, _TEXT, nullable=True),
        "status": _Key(Experiment.status, _TEXT, nullable=False),
        "created": _Key(Experiment.created_at, _MOMENT, nullable=False),
        "finished": _Key(Experiment.finished_at, _MOMENT, nullable=True),
    }
    if sort.column in attributes:
        return [attributes[sort.column]]
    if sort.column.startswith(METRIC_PREFIX):
        return [_last_value(sort.column[len(METRIC_PREFIX) :])]
    number, text = _param(sort.column[len(PARAM_PREFIX) :], dialect)
    return [_Key(number, _NUMBER, nullable=True), _Key(text, _TEXT, nullable=True)]


def _last_value(name: str) -> _Key:
    """The metric's last value, from the last points `log_metrics` keeps (one row per run).

    An outer join, not a correlated subquery, so PostgreSQL may hash-join the tenant's runs with
    the metric's rows instead of probing the primary key once per run (about half the time with
    10,000 runs); SQLite probes the primary key either way.
    """
    on = and_(LatestMetric.experiment_id == Experiment.id, LatestMetric.name == name)
    return _Key(LatestMetric.value, _NUMBER, nullable=True, join=(LatestMetric, on))


def _param(name: str, dialect: str) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """(numeric value if the parameter is a JSON number, its text if it is anything else).

    Both are NULL when the parameter is missing or JSON null, so such rows sort last.
    """
    if dialect == "sqlite":
        path = f'$."{name}"'
        kind = func.json_type(Experiment.params, path)
        raw = func.json_extract(Experiment.params, path)
        number = case((kind.in_(("integer", "real")), type_coerce(raw, Float)), else_=None)
        text = case(
            (kind.in_(("true", "false")), kind),  # json_extract gives 1 and 0 for booleans
            (kind.in_(("text", "object", "array")), raw),
            else_=None,
        )
        return number, text
    element = Experiment.params[name]
    kind = func.json_typeof(element)
    as_text = element.as_string()
    number = case((kind == "number", cast(as_text, Float)), else_=None)
    text = case((kind.in_(("string", "boolean", "object", "array")), as_text), else_=None)
    return number, text


def sorted_page(
    session: Session,
    principal: Principal,
    sort: ExperimentSort,
    *,
    group: str | None = None,
    status: str | None = None,
    tag: tuple[str, str] | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Experiment]:
    """One page of the tenant's filtered experiments in `sort` order, then by id.

    An attribute sort is one query the (tenant, created, id) index can serve. A parameter or
    metric key is computed per row, so it is computed once: a MATERIALIZED CTE holds (id, keys)
    of the filtered rows, the keyset and the ordering read that, and the page's rows are then
    fetched by id. Inline, the key would be evaluated again in ORDER BY and in every keyset term.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    keys = _keys(sort, session.get_bind().dialect.name)
    base = filtered(principal, group=group, status=status, tag=tag)
    labels = [f"sort_{i}" for i in range(len(keys))]
    if sort.column in ATTRIBUTES:
        columns: list[ColumnElement[Any]] = [k.expression for k in keys]
        row_id: ColumnElement[Any] = Experiment.id
        statement = base.add_columns(*(c.label(n) for c, n in zip(columns, labels, strict=True)))
    else:
        keyed = base.with_only_columns(
            Experiment.id.label("id"),
            *(k.expression.label(n) for k, n in zip(keys, labels, strict=True)),
        )
        for key in keys:
            if key.join is not None:
                keyed = keyed.outerjoin(*key.join)
        ranked = keyed.cte("ranked").prefix_with("MATERIALIZED")
        columns, row_id = [ranked.c[n] for n in labels], ranked.c.id
        statement = select(row_id, *columns)
    nullable = [k.nullable for k in keys]
    if cursor:
        values, after_id = _decode(cursor, sort, keys)
        statement = statement.where(
            _after(columns, nullable, row_id, values, after_id, sort.descending)
        )
    order = _ordering(columns, nullable, row_id, sort.descending)
    rows = session.execute(statement.order_by(*order).limit(limit + 1)).all()
    page_rows = rows[:limit]
    if sort.column in ATTRIBUTES:
        items = [row[0] for row in page_rows]
        ids = [e.id for e in items]
    else:
        ids = [row[0] for row in page_rows]
        found = {e.id: e for e in session.scalars(select(Experiment).where(Experiment.id.in_(ids)))}
        items = [found[i] for i in ids if i in found]
    next_cursor = None
    if len(rows) > limit:
        last = page_rows[-1]
        next_cursor = _encode(sort, [last[i + 1] for i in range(len(keys))], ids[-1])
    return Page(items=items, next_cursor=next_cursor)


def _ordering(
    columns: Sequence[ColumnElement[Any]],
    nullable: Sequence[bool],
    row_id: ColumnElement[Any],
    descending: bool,
) -> list[Any]:
    """NULLS LAST only where a key can be NULL: the default sort keeps its index-ordered scan."""
    terms: list[Any] = []
    for column, can_be_null in zip(columns, nullable, strict=True):
        term = column.desc() if descending else column.asc()
        terms.append(term.nulls_last() if can_be_null else term)
    terms.append(row_id.desc() if descending else row_id.asc())
    return terms


def _after(
    columns: Sequence[ColumnElement[Any]],
    nullable: Sequence[bool],
    row_id: ColumnElement[Any],
    values: Sequence[Any],
    after_id: str,
    descending: bool,
) -> ColumnElement[bool]:
    """Rows strictly after the cursor's row in the (keys..., id) order, NULLs last.

    For each key in turn: equal on every earlier key and strictly after on this one. Past a
    non-NULL value comes a greater (or smaller, descending) value or NULL; past a NULL, nothing
    on that key, only equality (IS NULL) to go on to the next.
    """
    clauses: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for column, can_be_null, value in zip(columns, nullable, values, strict=True):
        if value is None:
            equal.append(column.is_(None))
            continue
        beyond = column < value if descending else column > value
        if can_be_null:
            beyond = or_(beyond, column.is_(None))
        clauses.append(and_(*equal, beyond))
        equal.append(column == value)
    clauses.append(and_(*equal, row_id < after_id if descending else row_id > after_id))
    return or_(*clauses)


def _encode(sort: ExperimentSort, values: Sequence[Any], row_id: str) -> str:
    parts: list[str | None] = []
    for value in values:
        if value is None:
            parts.append(None)
        elif isinstance(value, datetime):
            parts.append(value.isoformat())
        elif isinstance(value, float | int):
            parts.append(repr(float(value)))
        else:
            parts.append(str(value))
    return encode_cursor(sort.digest, json.dumps([*parts, row_id]))


def _decode(cursor: str, sort: ExperimentSort, keys: Sequence[_Key]) -> tuple[list[Any], str]:
    """The cursor's key values and row id; a 400 if it belongs to another sort, a 422 if bad."""
    digest, payload = decode_cursor(cursor, 2)
    if digest != sort.digest:
        raise BadRequest(
            "this page link belongs to another sort order; start again from the first page",
            details={"cursor": "another sort"},
        )
    try:
        parts = json.loads(payload)
    except (ValueError, TypeError, RecursionError) as exc:
        raise _malformed() from exc
    if not isinstance(parts, list) or len(parts) != len(keys) + 1:
        raise _malformed()
    values = [_part(key, part) for key, part in zip(keys, parts[:-1], strict=True)]
    return values, cursor_id(parts[-1])


def _part(key: _Key, part: Any) -> Any:
    if part is None and key.nullable:
        return None
    if not isinstance(part, str) or len(part) > 1000:
        raise _malformed()
    if key.kind == _MOMENT:
        return cursor_datetime(part)
    if key.kind == _NUMBER:
        try:
            number = float(part)
        except ValueError as exc:
            raise _malformed() from exc
        if not math.isfinite(number):
            raise _malformed()
        return number
    if "\0" in part:
        raise _malformed()
    return part


def _malformed() -> ValidationFailed:
    return ValidationFailed("invalid cursor", details={"cursor": "malformed"})
