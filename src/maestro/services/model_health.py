"""Model health as tenants see it: monitoring settings, reference data, feedback, drift.

- Reference data: an explicit reference dataset set for a version wins; otherwise a version
  trained by a Maestro training job has its training dataset (`metadata.dataset_id`).
- Feedback: true labels for logged prediction ids. Each labelled row is scored when the label
  arrives (`correct` for classification, `abs_error` for regression), so live accuracy and error
  over any window are plain SQL averages, next to the training-time figure.
- Drift: runs are durable jobs (`maestro.jobs.kinds.drift`), started on demand or by
  `schedule_due`, which claims each deployed model's next run with a compare-and-set on
  `model_monitoring.next_drift_at`: with any number of replicas a model gets one run per interval.

Another tenant's model, version, dataset or prediction id is always `not_found`.
"""

import logging
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, bindparam, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maestro.db.base import utcnow
from maestro.db.models import (
    Dataset,
    DriftRun,
    Job,
    ModelDeployment,
    ModelMonitoring,
    ModelReference,
    ModelVersion,
    PredictionRecord,
    RegisteredModel,
    Tenant,
)
from maestro.db.session import Database
from maestro.errors import Conflict, NotFound, ValidationFailed
from maestro.services.datasets import DatasetService
from maestro.services.pagination import Page, paginate
from maestro.services.prediction_log import PredictionLog, monitoring_row
from maestro.services.principal import Principal, Role
from maestro.services.registry import RegistryService
from maestro.settings import Settings

logger = logging.getLogger("maestro.model_health")

DRIFT_KIND = "drift"
SCHEDULER_USERNAME = "maestro-scheduler"
MAX_FEEDBACK = 10_000
# Windows of live performance shown by the API: label -> seconds.
WINDOWS: dict[str, float] = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
_LOG = PredictionRecord.__table__
_SCORE = (  # Core, executed once with every row's parameters
    update(_LOG)
    .where(_LOG.c.id == bindparam("b_id"))
    .values(
        label=bindparam("b_label"),
        labelled_at=bindparam("b_at"),
        correct=bindparam("b_correct"),
        abs_error=bindparam("b_error"),
    )
)


@dataclass(frozen=True)
class Reference:
    dataset_id: str | None
    source: str  # "explicit", "training" or "none"


@dataclass(frozen=True)
class FeedbackResult:
    accepted: int
    unknown: list[str]


def version_task(metadata: Mapping[str, Any], logged_probabilities: bool) -> str:
    """classification or regression: the training metadata says, else probabilities do."""
    task = metadata.get("task")
    if task in ("classification", "regression"):
        return str(task)
    return "classification" if logged_probabilities else "regression"


def training_figures(metadata: Mapping[str, Any]) -> dict[str, float]:
    """The training-time accuracy / mean absolute error recorded with the version, if any."""
    figures = metadata.get("metrics") or {}
    out = {}
    for key in ("accuracy", "mae"):
        value = figures.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = float(value)
    return out


def _number(value: Any) -> float | None:
    """A label or prediction as a finite float, else None (then it compares as text).

    A feedback label is any JSON value: an integer too large for a float or a string such as
    "1e999" must not become an OverflowError (a 500) or an infinite error that no JSON
    response of `/performance` can carry.
    """
    if not isinstance(value, bool | int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def same_label(predicted: Any, label: Any) -> bool:
    """Equal as numbers when both are numbers (1 == 1.0 == "1"), else as text."""
    a, b = _number(predicted), _number(label)
    if a is not None and b is not None:
        return a == b
    return str(predicted) == str(label)


class ModelHealthService:
    def __init__(
        self,
        registry: RegistryService,
        datasets: DatasetService,
        prediction_log: PredictionLog,
        settings: Settings,
    ) -> None:
        self.registry = registry
        self.datasets = datasets
        self.prediction_log = prediction_log
        self.settings = settings

    # --- monitoring settings -------------------------------------------------------------------

    def monitoring(self, session: Session, principal: Principal, name: str) -> dict[str, Any]:
        model = self._model(session, principal, name)
        row = session.scalar(select(ModelMonitoring).where(ModelMonitoring.model_id == model.id))
        return self._monitoring_view(session, model, row)

    def set_monitoring(
        self, session: Session, principal: Principal, name: str, log_sample_rate: float | None
    ) -> dict[str, Any]:
        principal.require_write()
        model = self._model(session, principal, name)
        row = self.prediction_log.set_rate(session, principal, model, log_sample_rate)
        return self._monitoring_view(session, model, row)

    def _monitoring_view(
        self, session: Session, model: RegisteredModel, row: ModelMonitoring | None
    ) -> dict[str, Any]:
        override = row.log_sample_rate if row is not None else None
        bounds = self.prediction_log.bounds(session.get_one(Tenant, model.tenant_id))
        return {
            "model": model.name,
            "log_sample_rate": self.prediction_log.effective_rate(override),
            "log_sample_rate_override": override,
            "retention_days": bounds.retention_days,
            "max_bytes_per_tenant": bounds.max_bytes,
            "drift_interval_seconds": self.settings.drift_interval_seconds,
            "next_drift_at": row.next_drift_at if row is not None else None,
        }

    # --- reference data ------------------------------------------------------------------------

    def reference(self, session: Session, principal: Principal, name: str, ref: str) -> Reference:
        version = self.registry.get_version(session, principal, name, ref).version
        return reference_of(session, version)

    def set_reference(
        self, session: Session, principal: Principal, name: str, ref: str, dataset_id: str
    ) -> Reference:
        """Make `dataset_id` the version's reference (replacing any earlier choice)."""
        principal.require_write()
        version = self.registry.get_version(session, principal, name, ref).version
        self.datasets.get(session, principal, dataset_id)  # another tenant's: not_found
        row = session.scalar(select(ModelReference).where(ModelReference.version_id == version.id))
        if row is None:
            row = ModelReference(
                tenant_id=version.tenant_id,
                version_id=version.id,
                dataset_id=dataset_id,
                set_by=principal.user_id or None,
            )
            session.add(row)
        else:
            row.dataset_id = dataset_id
            row.set_by = principal.user_id or None
        session.flush()
        return Reference(dataset_id, "explicit")

    # --- feedback and live performance ---------------------------------------------------------

    def feedback(
        self, db: Database, principal: Principal, name: str, items: Sequence[tuple[str, Any]]
    ) -> FeedbackResult:
        """Attach true labels to logged predictions of this model; unknown ids are reported."""
        principal.require_write()
        if not 1 <= len(items) <= MAX_FEEDBACK:
            raise ValidationFailed(f"feedback must hold between 1 and {MAX_FEEDBACK} items")
        self.prediction_log.flush()  # this process's recent predictions become visible
        labels = dict(items)
        with db.session() as session:
            model = self._model(session, principal, name)
            tasks = {
                number: metadata
                for number, metadata in session.execute(
                    select(ModelVersion.version, ModelVersion.metadata_).where(
                        ModelVersion.model_id == model.id
                    )
                )
            }
            found = session.execute(
                select(
                    PredictionRecord.id, PredictionRecord.version, PredictionRecord.outputs
                ).where(
                    PredictionRecord.model_id == model.id,
                    PredictionRecord.id.in_(list(labels)),
                )
            ).all()
            now = utcnow()
            updates = []
            for record_id, number, outputs in found:
                label = labels[record_id]
                task = version_task(
                    tasks.get(number) or {}, outputs.get("probabilities") is not None
                )
                updates.append(_scored(record_id, outputs.get("prediction"), label, task, now))
            if updates:
                session.execute(_SCORE, updates)
        known = {row[0] for row in found}
        return FeedbackResult(len(known), [i for i in labels if i not in known])

    def performance(self, session: Session, principal: Principal, name: str) -> dict[str, Any]:
        """Live accuracy (classification) or MAE (regression) per window, and at training."""
        model = self._model(session, principal, name)
        deployed = session.execute(
            select(ModelVersion.version, ModelVersion.metadata_)
            .join(ModelDeployment, ModelDeployment.version_id == ModelVersion.id)
            .where(ModelDeployment.model_id == model.id)
        ).one_or_none()
        metadata = deployed[1] if deployed else {}
        now = utcnow()
        windows = []
        for label, seconds in WINDOWS.items():
            live = live_figures(session, [model.id], now - timedelta(seconds=seconds))
            windows.append({"window": label, "seconds": seconds, **live.get(model.id, _EMPTY)})
        return {
            "model": model.name,
            "deployed_version": deployed[0] if deployed else None,
            "task": metadata.get("task"),
            "training": training_figures(metadata),
            "windows": windows,
        }

    # --- drift ---------------------------------------------------------------------------------

    def drift_history(
        self, session: Session, principal: Principal, name: str, *, limit: int, cursor: str | None
    ) -> Page[DriftRun]:
        model = self._model(session, principal, name)
        return paginate(
            session,
            select(DriftRun).where(DriftRun.model_id == model.id),
            created_at=DriftRun.created_at,
            row_id=DriftRun.id,
            limit=limit,
            cursor=cursor,
        )

    def run_drift(self, db: Database, principal: Principal, name: str, jobs: Any) -> Job:
        """Queue a drift run for the deployed model now."""
        principal.require_write()
        # Before the transaction: the run sees this process's latest predictions, and on
        # SQLite a flush inside an open write transaction would wait for it.
        self.prediction_log.flush()
        with db.session() as session:
            model = self._model(session, principal, name)
            deployed = session.scalar(
                select(ModelDeployment.id).where(ModelDeployment.model_id == model.id)
            )
            if deployed is None:
                raise Conflict(f"model {name!r} is not deployed", details={"model": name})
            job: Job = jobs.submit(session, principal, DRIFT_KIND, {"model_id": model.id})
            return job

    def schedule_due(self, db: Database, jobs: Any, now: datetime | None = None) -> list[str]:
        """Queue one drift run per deployed model whose interval elapsed; returns the job ids."""
        interval = self.settings.drift_interval_seconds
        if interval <= 0:
            return []
        now = now or utcnow()
        self.prediction_log.flush()  # a run compares what was predicted up to now, as on demand
        with db.session() as session:
            deployed = session.execute(
                select(RegisteredModel, Tenant.slug)
                .join(ModelDeployment, ModelDeployment.model_id == RegisteredModel.id)
                .join(Tenant, Tenant.id == RegisteredModel.tenant_id)
            ).all()
            session.expunge_all()
        queued = []
        for model, slug in deployed:
            try:
                with db.session() as session:
                    job_id = self._claim_run(session, jobs, model, slug, now, interval)
            except IntegrityError:  # another replica created the row first; next tick
                continue
            if job_id is not None:
                queued.append(job_id)
        return queued

    def _claim_run(
        self,
        session: Session,
        jobs: Any,
        model: RegisteredModel,
        slug: str,
        now: datetime,
        interval: float,
    ) -> str | None:
        row = monitoring_row(session, model)
        if row.next_drift_at is None:  # first sight of this deployment: one interval from now
            row.next_drift_at = now + timedelta(seconds=interval)
            session.flush()
            return None
        won = session.execute(
            update(ModelMonitoring)
            .where(ModelMonitoring.id == row.id, ModelMonitoring.next_drift_at <= now)
            .values(next_drift_at=now + timedelta(seconds=interval))
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            return None
        system = Principal("", SCHEDULER_USERNAME, Role.MEMBER, model.tenant_id, slug)
        job: Job = jobs.submit(session, system, DRIFT_KIND, {"model_id": model.id})
        return job.id

    # --- helpers -------------------------------------------------------------------------------

    def _model(self, session: Session, principal: Principal, name: str) -> RegisteredModel:
        model = session.scalar(
            select(RegisteredModel).where(
                RegisteredModel.tenant_id == principal.require_tenant(),
                RegisteredModel.name == name,
            )
        )
        if model is None:
            raise NotFound(f"model {name!r} not found")
        return model


_EMPTY: dict[str, Any] = {"labelled": 0, "accuracy": None, "mae": None}


def reference_of(session: Session, version: ModelVersion) -> Reference:
    """The explicit reference, else the training dataset if it still exists, else none."""
    explicit = session.scalar(
        select(ModelReference.dataset_id).where(ModelReference.version_id == version.id)
    )
    if explicit is not None and _dataset_exists(session, version.tenant_id, explicit):
        return Reference(explicit, "explicit")
    trained_on = (version.metadata_ or {}).get("dataset_id")
    if isinstance(trained_on, str) and _dataset_exists(session, version.tenant_id, trained_on):
        return Reference(trained_on, "training")
    return Reference(None, "none")


def _dataset_exists(session: Session, tenant_id: str, dataset_id: str) -> bool:
    found = session.scalar(
        select(Dataset.id).where(Dataset.id == dataset_id, Dataset.tenant_id == tenant_id)
    )
    return found is not None


def live_figures(
    session: Session, model_ids: Sequence[str], since: datetime
) -> dict[str, dict[str, Any]]:
    """Per model: labelled rows since `since`, their accuracy and mean absolute error."""
    if not model_ids:
        return {}
    correct = case((PredictionRecord.correct.is_(True), 1.0), else_=0.0)
    rows = session.execute(
        select(
            PredictionRecord.model_id,
            func.count(PredictionRecord.labelled_at),
            func.count(PredictionRecord.correct),
            func.avg(case((PredictionRecord.correct.is_not(None), correct))).cast(Float),
            func.avg(PredictionRecord.abs_error).cast(Float),
        )
        .where(
            PredictionRecord.model_id.in_(list(model_ids)),
            PredictionRecord.labelled_at >= since,
        )
        .group_by(PredictionRecord.model_id)
    ).all()
    return {
        model_id: {
            "labelled": labelled,
            "accuracy": float(accuracy) if scored and accuracy is not None else None,
            "mae": float(mae) if mae is not None else None,
        }
        for model_id, labelled, scored, accuracy, mae in rows
    }


def _scored(record_id: str, predicted: Any, label: Any, task: str, now: datetime) -> dict[str, Any]:
    correct: bool | None = None
    error: float | None = None
    if task == "classification":
        correct = same_label(predicted, label)
    else:
        a, b = _number(predicted), _number(label)
        error = abs(a - b) if a is not None and b is not None else None
    return {
        "b_id": record_id,
        "b_label": label,
        "b_at": now,
        "b_correct": correct,
        "b_error": error,
    }


class DriftScheduler:
    """A background thread asking `schedule_due` for due drift runs about once a minute."""

    def __init__(self, health: ModelHealthService, db: Database, jobs: Any) -> None:
        self.health = health
        self.db = db
        self.jobs = jobs
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.health.settings.drift_interval_seconds <= 0:
            return
        self._thread = threading.Thread(target=self._loop, name="maestro-drift", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        tick = min(60.0, max(0.5, self.health.settings.drift_interval_seconds / 4))
        while not self._stopping.wait(tick):
            try:
                self.health.schedule_due(self.db, self.jobs)
            except Exception:  # a database outage must not end the schedule
                logger.exception("drift schedule tick failed")
