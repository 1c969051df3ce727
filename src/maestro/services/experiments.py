"""Experiments: tracked attempts with a status, parameters, tags and metric series.

The HTTP API and the job system (a training job runs as the user who launched it) share this
service: `create`, `log_metrics`, `finish`. Status only moves from `running` to a terminal status,
through a conditional UPDATE, so two concurrent finishes cannot both succeed.
"""

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from maestro.db.base import utcnow
from maestro.db.models import Experiment, MetricPoint
from maestro.errors import Conflict, NotFound, ValidationFailed
from maestro.observability import metrics
from maestro.services.pagination import Page, paginate
from maestro.services.principal import Principal
from maestro.services.quotas import QuotaPolicy
from maestro.services.transactions import after_commit

RUNNING = "running"
TERMINAL_STATUSES = ("completed", "failed", "cancelled")
STATUSES = (RUNNING, *TERMINAL_STATUSES)
MAX_METRICS_PER_BATCH = 1000
MAX_HISTORY_PAGE = 10_000


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
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Experiment]:
        statement = select(Experiment).where(Experiment.tenant_id == principal.require_tenant())
        if group is not None:
            statement = statement.where(Experiment.group == group)
        if status is not None:
            statement = statement.where(Experiment.status == status)
        return paginate(
            session,
            statement,
            created_at=Experiment.created_at,
            row_id=Experiment.id,
            limit=limit,
            cursor=cursor,
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
        session.execute(
            insert(MetricPoint),
            [
                {
                    "tenant_id": tenant_id,
                    "experiment_id": experiment_id,
                    "name": p.name,
                    "value": float(p.value),
                    "step": p.step,
                    "timestamp": _as_utc(p.timestamp) if p.timestamp else now,
                }
                for p in points
            ],
        )
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
    ) -> Page[MetricValue]:
        """Points ordered by step, then timestamp (then insertion), with a keyset cursor."""
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise ValidationFailed(f"limit must be between 1 and {MAX_HISTORY_PAGE}")
        experiment = self.get(session, principal, experiment_id)
        statement = select(MetricPoint).where(MetricPoint.experiment_id == experiment.id)
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
        rows = session.scalars(
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

    def latest_metrics(self, session: Session, experiment_id: str) -> dict[str, MetricValue]:
        """The point with the highest step (latest timestamp on ties) of every series."""
        ranked = (
            select(
                MetricPoint,
                func.row_number()
                .over(
                    partition_by=MetricPoint.name,
                    order_by=(
                        MetricPoint.step.desc(),
                        MetricPoint.timestamp.desc(),
                        MetricPoint.id.desc(),
                    ),
                )
                .label("rank"),
            )
            .where(MetricPoint.experiment_id == experiment_id)
            .subquery()
        )
        rows = session.execute(
            select(ranked.c.name, ranked.c.value, ranked.c.step, ranked.c.timestamp)
            .where(ranked.c.rank == 1)
            .order_by(ranked.c.name)
        ).all()
        return {
            row.name: MetricValue(row.name, row.value, row.step, _as_utc(row.timestamp))
            for row in rows
        }


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


def _as_utc(moment: datetime) -> datetime:
    """Naive datetimes (and SQLite's offset-less values) are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _value(row: MetricPoint) -> MetricValue:
    return MetricValue(row.name, row.value, row.step, _as_utc(row.timestamp))


def _encode_cursor(step: int, timestamp: datetime, row_id: int) -> str:
    raw = json.dumps([step, _as_utc(timestamp).isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        step, timestamp, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return int(step), datetime.fromisoformat(timestamp), int(row_id)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("invalid cursor", details={"cursor": "malformed"}) from exc
