"""Experiments: tracked attempts with a status, parameters, tags and metric series.

The HTTP API and the job system (a training job runs as the user who launched it) share this
service: `create`, `log_metrics`, `finish`. Status only moves from `running` to a terminal status,
through a conditional UPDATE, so two concurrent finishes cannot both succeed.
"""

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from maestro.db.base import utcnow
from maestro.db.models import Experiment, LatestMetric, MetricPoint
from maestro.errors import Conflict, NotFound, ValidationFailed
from maestro.observability import metrics
from maestro.services.pagination import (
    Page,
    cursor_datetime,
    cursor_int,
    decode_cursor,
    encode_cursor,
    paginate,
)
from maestro.services.principal import Principal
from maestro.services.quotas import QuotaPolicy
from maestro.services.transactions import after_commit

RUNNING = "running"
TERMINAL_STATUSES = ("completed", "failed", "cancelled")
STATUSES = (RUNNING, *TERMINAL_STATUSES)
MAX_METRICS_PER_BATCH = 1000
MIN_STEP, MAX_STEP = -(2**63), 2**63 - 1
MAX_HISTORY_PAGE = 10_000
# Core, not the ORM bulk path: a 1,000-point batch skips per-row ORM bookkeeping (about half
# of a batch's server time, measured with benchmarks/mlflow_client_workload.py).
_INSERT_POINTS = insert(MetricPoint.__table__)


@dataclass(frozen=True)
class MetricValue:
    """One point of a metric series, as logged and as read back."""

    name: str
    value: float
    step: int = 0
    timestamp: datetime | None = None


class ExperimentService:
    def __init__(self, quota_policy: QuotaPolicy) -> None:
        self.quotas = quota_policy

    def create(
        self,
        session: Session,
        principal: Principal,
        *,
        name: str,
        group: str | None = None,
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> Experiment:
        """Start a `running` experiment; takes one `experiments` quota until it is deleted."""
        tenant_id = principal.require_tenant()
        principal.require_write()
        self.quotas.consume(session, tenant_id, "experiments")
        experiment = Experiment(
            tenant_id=tenant_id,
            name=name,
            group=group,
            status=RUNNING,
            params=params or {},
            tags=tags or {},
            created_by=principal.user_id,
        )
        session.add(experiment)
        session.flush()
        _count(session, principal, "started")
        return experiment

    def get(self, session: Session, principal: Principal, experiment_id: str) -> Experiment:
        experiment = session.scalar(
            select(Experiment).where(
                Experiment.id == experiment_id, Experiment.tenant_id == principal.require_tenant()
            )
        )
        if experiment is None:
            raise NotFound(f"experiment {experiment_id!r} not found")
        return experiment

    def list(
        self,
        session: Session,
        principal: Principal,
        *,
        group: str | None = None,
        status: str | None = None,
        tag: tuple[str, str] | None = None,
        limit: int = 50,
        cursor: str | None = None,
        newest_first: bool = False,
    ) -> Page[Experiment]:
        """The tenant's experiments, filtered by group, status and one `(key, value)` tag."""
        return paginate(
            session,
            filtered(principal, group=group, status=status, tag=tag),
            created_at=Experiment.created_at,
            row_id=Experiment.id,
            limit=limit,
            cursor=cursor,
            newest_first=newest_first,
        )

    def update(
        self,
        session: Session,
        principal: Principal,
        experiment_id: str,
        *,
        status: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> Experiment:
        """Replace the tags and/or finish the experiment (see `finish`)."""
        principal.require_write()
        experiment = self.get(session, principal, experiment_id)
        if tags is not None:
            experiment.tags = tags
            session.flush()
        if status is not None:
            experiment = self.finish(session, principal, experiment_id, status)
        return experiment

    def finish(
        self, session: Session, principal: Principal, experiment_id: str, status: str
    ) -> Experiment:
        """Move a running experiment to `completed`, `failed` or `cancelled`; otherwise 409.

        The UPDATE carries `status = 'running'` in its WHERE clause, so of two concurrent
        finishes exactly one matches a row; the other sees zero rows and gets a conflict.
        """
        tenant_id = principal.require_tenant()
        principal.require_write()
        if status not in TERMINAL_STATUSES:
            current = self.get(session, principal, experiment_id).status
            raise Conflict(
                f"an experiment can only move from running to {', '.join(TERMINAL_STATUSES)}",
                details={"status": current, "requested": status},
            )
        now = utcnow()
        result = session.execute(
            update(Experiment)
            .where(
                Experiment.id == experiment_id,
                Experiment.tenant_id == tenant_id,
                Experiment.status == RUNNING,
            )
            .values(status=status, finished_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        experiment = self.get(session, principal, experiment_id)  # NotFound if it is not ours
        session.refresh(experiment)  # the identity map may hold the row from before the UPDATE
        if result.rowcount != 1:
            raise Conflict(
                f"experiment is already {experiment.status}; only a running experiment can finish",
                details={"status": experiment.status, "requested": status},
            )
        _count(session, principal, status)
        return experiment

    def delete(self, session: Session, principal: Principal, experiment_id: str) -> None:
        """Delete the experiment and its metric points, giving back its quota."""
        principal.require_write()
        experiment = self.get(session, principal, experiment_id)
        session.execute(delete(MetricPoint).where(MetricPoint.experiment_id == experiment.id))
        session.delete(experiment)
        self.quotas.release(session, experiment.tenant_id, "experiments")

    # --- metrics -------------------------------------------------------------------------------

    def log_metrics(
        self,
        session: Session,
        principal: Principal,
        experiment_id: str,
        points: Sequence[MetricValue],
    ) -> int:
        """Append up to 1,000 points in one multi-row INSERT; returns how many were stored.

        The experiment row is read with a shared lock (PostgreSQL), so a concurrent `finish`
        waits for the batch instead of slipping in between the status check and the insert.
        """
        tenant_id = principal.require_tenant()
        principal.require_write()
        _validate_points(points)
        status = session.scalar(
            select(Experiment.status)
            .where(Experiment.id == experiment_id, Experiment.tenant_id == tenant_id)
            .with_for_update(read=True)
        )
        if status is None:
            raise NotFound(f"experiment {experiment_id!r} not found")
        if status != RUNNING:
            raise Conflict(
                f"experiment is {status}; metrics can only be logged while it is running",
                details={"status": status},
            )
        now = utcnow()
        rows = [
            {
                "tenant_id": tenant_id,
                "experiment_id": experiment_id,
                "name": p.name,
                "value": float(p.value),
                "step": p.step,
                "timestamp": _as_utc(p.timestamp) if p.timestamp else now,
            }
            for p in points
        ]
        session.execute(_INSERT_POINTS, rows)
        _keep_latest(session, experiment_id, rows)
        return len(points)

    def metric_history(
        self,
        session: Session,
        principal: Principal,
        experiment_id: str,
        *,
        name: str | None = None,
        limit: int = 1000,
        cursor: str | None = None,
        steps: Collection[int] | None = None,
    ) -> Page[MetricValue]:
        """Points ordered by step, then timestamp (then insertion), with a keyset cursor."""
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise ValidationFailed(f"limit must be between 1 and {MAX_HISTORY_PAGE}")
        experiment = self.get(session, principal, experiment_id)
        # Columns, not ORM entities: a 10,000-point page is read without identity-map work.
        statement = select(
            MetricPoint.name,
            MetricPoint.value,
            MetricPoint.step,
            MetricPoint.timestamp,
            MetricPoint.id,
        ).where(MetricPoint.experiment_id == experiment.id)
        if steps is not None:
            statement = statement.where(MetricPoint.step.in_(sorted(set(steps))))
        if name is not None:
            statement = statement.where(MetricPoint.name == name)
        if cursor:
            step, timestamp, row_id = _decode_cursor(cursor)
            statement = statement.where(
                or_(
                    MetricPoint.step > step,
                    and_(MetricPoint.step == step, MetricPoint.timestamp > timestamp),
                    and_(
                        MetricPoint.step == step,
                        MetricPoint.timestamp == timestamp,
                        MetricPoint.id > row_id,
                    ),
                )
            )
        rows = session.execute(
            statement.order_by(MetricPoint.step, MetricPoint.timestamp, MetricPoint.id).limit(
                limit + 1
            )
        ).all()
        items = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = _encode_cursor(last.step, last.timestamp, last.id)
        return Page(items=[_value(row) for row in items], next_cursor=next_cursor)

    def log_params(
        self, session: Session, principal: Principal, experiment_id: str, params: dict[str, Any]
    ) -> Experiment:
        """Add parameters; a logged parameter is immutable, so changing its value is refused."""
        principal.require_write()
        experiment = self.get(session, principal, experiment_id)
        current = dict(experiment.params)
        changed = {k: v for k, v in params.items() if k in current and current[k] != v}
        if changed:
            key = next(iter(changed))
            raise ValidationFailed(
                f"parameter {key!r} was already logged with a different value",
                details={"param": key, "old": str(current[key])[:200]},
            )
        if any(k not in current for k in params):
            experiment.params = {**current, **params}  # a new dict: JSON columns track rebinds
            session.flush()
        return experiment

    def set_tags(
        self,
        session: Session,
        principal: Principal,
        experiment_id: str,
        tags: dict[str, str],
        *,
        remove: Sequence[str] = (),
    ) -> Experiment:
        """Set (overwrite) some tags and remove others, keeping the rest; any status."""
        principal.require_write()
        experiment = self.get(session, principal, experiment_id)
        merged = {**experiment.tags, **tags}
        for key in remove:
            merged.pop(key, None)
        if merged != experiment.tags:
            experiment.tags = merged
            session.flush()
        return experiment

    def latest_metrics(self, session: Session, experiment_id: str) -> dict[str, MetricValue]:
        """The point with the highest step (latest timestamp on ties) of every series."""
        return self.latest_metrics_of(session, [experiment_id]).get(experiment_id, {})

    def latest_metrics_of(
        self, session: Session, experiment_ids: Sequence[str]
    ) -> dict[str, dict[str, MetricValue]]:
        """`latest_metrics` of many experiments in one query (a search page, not one per row).

        The highest step of each series comes from the (experiment, name, step) index, and only
        the points at that step are read back, not the whole series: a run with 100,000 points
        costs an index scan, not a sort of every row. Ties on the step go to the latest
        timestamp, then the latest insertion.
        """
        if not experiment_ids:
            return {}
        top = (
            select(
                MetricPoint.experiment_id,
                MetricPoint.name,
                func.max(MetricPoint.step).label("step"),
            )
            .where(MetricPoint.experiment_id.in_(list(experiment_ids)))
            .group_by(MetricPoint.experiment_id, MetricPoint.name)
            .subquery()
        )
        rows = session.execute(
            select(
                MetricPoint.experiment_id,
                MetricPoint.name,
                MetricPoint.value,
                MetricPoint.step,
                MetricPoint.timestamp,
                MetricPoint.id,
            ).join(
                top,
                and_(
                    MetricPoint.experiment_id == top.c.experiment_id,
                    MetricPoint.name == top.c.name,
                    MetricPoint.step == top.c.step,
                ),
            )
        ).all()
        best: dict[tuple[str, str], Any] = {}
        for row in rows:
            key = (row.experiment_id, row.name)
            current = best.get(key)
            if current is None or (_as_utc(row.timestamp), row.id) > (
                _as_utc(current.timestamp),
                current.id,
            ):
                best[key] = row
        result: dict[str, dict[str, MetricValue]] = {}
        for (experiment_id, name), row in sorted(best.items()):
            result.setdefault(experiment_id, {})[name] = MetricValue(
                name, row.value, row.step, _as_utc(row.timestamp)
            )
        return result


def filtered(
    principal: Principal,
    *,
    group: str | None = None,
    status: str | None = None,
    tag: tuple[str, str] | None = None,
) -> Select[tuple[Experiment]]:
    """The caller's tenant's experiments, filtered by group, status and one `(key, value)` tag."""
    statement = select(Experiment).where(Experiment.tenant_id == principal.require_tenant())
    if group is not None:
        statement = statement.where(Experiment.group == group)
    if status is not None:
        statement = statement.where(Experiment.status == status)
    if tag is not None:
        statement = statement.where(Experiment.tags[tag[0]].as_string() == tag[1])
    return statement


def _keep_latest(session: Session, experiment_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """Fold a batch into `experiment_latest_metrics`: one upsert for the batch's series.

    Of the batch, each series' last point (highest step, then latest timestamp, then later in
    the batch = later inserted); it replaces the stored one unless that is strictly later. The
    condition is evaluated on the conflicting row under its lock, so concurrent batches of one
    series keep the later point whatever their commit order.
    """
    last: dict[str, dict[str, Any]] = {}
    for row in rows:
        kept = last.get(row["name"])
        if kept is None or (row["step"], row["timestamp"]) >= (kept["step"], kept["timestamp"]):
            last[row["name"]] = row
    values = [
        {
            "experiment_id": experiment_id,
            "name": name,
            "step": row["step"],
            "value": row["value"],
            "timestamp": row["timestamp"],
        }
        for name, row in sorted(last.items())  # one lock order: concurrent batches cannot deadlock
    ]
    dialect = session.get_bind().dialect.name
    upsert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(LatestMetric)
    table = LatestMetric.__table__.c
    session.execute(
        upsert.values(values).on_conflict_do_update(
            index_elements=[table.experiment_id, table.name],
            set_={
                "step": upsert.excluded.step,
                "value": upsert.excluded.value,
                "timestamp": upsert.excluded.timestamp,
            },
            where=or_(
                upsert.excluded.step > table.step,
                and_(
                    upsert.excluded.step == table.step,
                    upsert.excluded.timestamp >= table.timestamp,
                ),
            ),
        )
    )


def _count(session: Session, principal: Principal, status: str) -> None:
    """Count in `maestro_ml_experiments_total` only once the change is committed."""
    counter = metrics.EXPERIMENTS.labels(tenant_id=principal.tenant_slug, status=status)
    after_commit(session, counter.inc)


def _validate_points(points: Sequence[MetricValue]) -> None:
    if not points:
        raise ValidationFailed("a metric batch needs at least one point")
    if len(points) > MAX_METRICS_PER_BATCH:
        raise ValidationFailed(
            f"at most {MAX_METRICS_PER_BATCH} metric points per batch, got {len(points)}",
            details={"limit": MAX_METRICS_PER_BATCH, "received": len(points)},
        )
    for index, point in enumerate(points):
        if not math.isfinite(point.value):
            raise ValidationFailed(
                f"metric {point.name!r} has a non-finite value (NaN or infinity)",
                details={"index": index, "name": point.name},
            )
        if not MIN_STEP <= point.step <= MAX_STEP:  # the column is a signed 64-bit integer
            raise ValidationFailed(
                f"metric {point.name!r} has a step outside [{MIN_STEP}, {MAX_STEP}]",
                details={"index": index, "name": point.name},
            )


def _as_utc(moment: datetime) -> datetime:
    """Naive datetimes (and SQLite's offset-less values) are taken as UTC."""
    if moment.tzinfo is UTC:
        return moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _value(row: Any) -> MetricValue:
    return MetricValue(row.name, row.value, row.step, _as_utc(row.timestamp))


def _encode_cursor(step: int, timestamp: datetime, row_id: int) -> str:
    return encode_cursor(step, _as_utc(timestamp).isoformat(), row_id)


def _decode_cursor(cursor: str) -> tuple[int, datetime, int]:
    step, timestamp, row_id = decode_cursor(cursor, 3)
    return cursor_int(step), cursor_datetime(timestamp), cursor_int(row_id)
