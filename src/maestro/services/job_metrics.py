"""Metrics of job work, counted exactly once by an API process.

Job handlers run in worker processes: a local pool process or a Celery worker. Nobody scrapes
those processes, so a counter incremented there is lost. Two mechanisms bring what they do to the
API's `/metrics`:

- **Outbox** (`JobMetrics.record`): the handler writes each sample (a feature discovery stage, an
  experiment it started or finished, a version it registered) as a `job_metric_events` row. The
  API's `MetricsRelay` thread deletes rows and applies exactly the ones its DELETE removed, after
  the commit, so each sample is counted once however many API replicas drain the table.
- **Observation** (`MetricsRelay`): `maestro_ml_training_duration_seconds` is recorded when the
  API sees a training job in a terminal state, from the row's timestamps, so a job stopped
  forcibly (cancel, worker killed, lease lost) is counted too. A `job_observations` row, inserted
  in the same transaction, makes that once per job.

One exception keeps this exactly-once: with `maestro serve --workers N` the API runs in
prometheus_client's multiprocess mode and the local pool processes inherit
`PROMETHEUS_MULTIPROC_DIR`, so what they increment in-process already reaches `/metrics`. There
the handler records directly instead of through the outbox, and does not mirror what the
experiment and registry services already counted in-process.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import values
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from maestro.db.base import utcnow
from maestro.db.models import Job, JobMetricEvent, JobObservation, Tenant
from maestro.db.session import Database
from maestro.observability import metrics

logger = logging.getLogger("maestro.jobs")

#: The metrics job work may record, and how a sample is applied (counter `inc` or `observe`).
OUTBOX_METRICS: dict[str, Any] = {
    "maestro_ml_experiments_total": metrics.EXPERIMENTS,
    "maestro_ml_model_operations_total": metrics.MODEL_OPERATIONS,
    "maestro_ml_model_size_bytes": metrics.MODEL_SIZE_BYTES,
    "maestro_feature_discovery_operations_total": metrics.FEATURE_DISCOVERY_OPERATIONS,
    "maestro_feature_discovery_duration_seconds": metrics.FEATURE_DISCOVERY_DURATION,
    "maestro_job_lease_expiries_total": metrics.JOB_LEASE_EXPIRIES,
    "maestro_job_retries_total": metrics.JOB_RETRIES,
}
TERMINAL = ("succeeded", "failed", "cancelled")
_BATCH = 500
#: Jobs that ended longer ago than this (the API was down meanwhile) are no longer observed, which
#: keeps the per-tick query bounded however many jobs the table holds.
OBSERVATION_WINDOW = timedelta(days=1)


def apply_sample(metric: str, labels: dict[str, str], value: float) -> None:
    """Record one sample on this process's registry.

    Only the labels the metric has are used: rows written before a label was dropped (the
    `tenant_id` of `maestro_ml_model_size_bytes`) still apply after an upgrade.
    """
    family = OUTBOX_METRICS[metric]
    names = family._labelnames
    child = family.labels(**{name: labels[name] for name in names}) if names else family
    if metric.endswith("_total"):
        child.inc(value)
    else:
        child.observe(value)


def in_process_metrics_exported(executor: str) -> bool:
    """True in a local pool process whose metric files the API's multiprocess `/metrics` reads."""
    return executor == "local" and values.ValueClass is not values.MutexValue


@dataclass
class JobMetrics:
    """The worker-side writer: `record` for our own samples, `mirror` for a service's."""

    db: Database
    tenant_id: str
    job_id: str
    direct: bool

    @classmethod
    def for_job(cls, db: Database, tenant_id: str, job_id: str, executor: str) -> "JobMetrics":
        return cls(db, tenant_id, job_id, in_process_metrics_exported(executor))

    def record(self, metric: str, labels: dict[str, str], value: float = 1.0) -> None:
        """A sample only this job produces (e.g. a feature discovery stage)."""
        if self.direct:
            apply_sample(metric, labels, value)
            return
        self._write(metric, labels, value)

    def mirror(self, metric: str, labels: dict[str, str], value: float = 1.0) -> None:
        """A sample a service already counted in this process (e.g. an experiment started):
        lost here unless this process's metrics are exported, so it goes to the outbox then."""
        if not self.direct:
            self._write(metric, labels, value)

    def _write(self, metric: str, labels: dict[str, str], value: float) -> None:
        if metric not in OUTBOX_METRICS:
            raise ValueError(f"{metric} is not recorded through the job metrics outbox")
        try:
            with self.db.session() as session:
                session.add(
                    JobMetricEvent(
                        tenant_id=self.tenant_id,
                        job_id=self.job_id,
                        metric=metric,
                        labels=labels,
                        value=float(value),
                    )
                )
        except Exception:  # a metric must never fail the job it describes
            logger.exception("job %s: could not record %s", self.job_id, metric)


def record_lost_attempt(session: Session, job: Job, *, retried: bool) -> None:
    """A running job's lease expired: count it (and its retry) in the recovering transaction,
    so the samples exist exactly when the recovery commits, whichever process recovered it."""
    labels = {"kind": job.kind}
    samples = [("maestro_job_lease_expiries_total", labels)]
    if retried:
        samples.append(("maestro_job_retries_total", labels))
    for metric, sample_labels in samples:
        session.add(
            JobMetricEvent(
                tenant_id=job.tenant_id,
                job_id=job.id,
                metric=metric,
                labels=sample_labels,
                value=1.0,
            )
        )


@dataclass(frozen=True)
class TerminalJob:
    id: str
    kind: str
    tenant_id: str
    tenant_slug: str
    status: str
    payload: dict[str, Any]
    duration_seconds: float


class MetricsRelay:
    """API side: drain the outbox and observe terminal jobs, every `interval` seconds."""

    def __init__(
        self,
        db: Database,
        observers: dict[str, Callable[[TerminalJob], None]],
        *,
        interval: float = 1.0,
    ) -> None:
        self.db = db
        self.observers = observers  # job kind -> what to record when one ends
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="maestro-job-metrics", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.run_once()  # what finished just before shutdown is still counted

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            self.run_once()

    def run_once(self) -> int:
        """One drain; returns how many samples and observations this process recorded."""
        with self._lock:
            try:
                with self.db.session() as session:
                    samples = self._claim_samples(session)
                    ended = self._claim_terminal_jobs(session)
            except Exception:  # the database may be back at the next tick; nothing was claimed
                logger.exception("job metrics relay iteration failed")
                return 0
        for metric, labels, value in samples:
            try:
                apply_sample(metric, labels, value)
            except Exception:
                logger.exception("cannot record %s %s", metric, labels)
        for job in ended:
            try:
                self.observers[job.kind](job)
            except Exception:
                logger.exception("cannot record the end of job %s", job.id)
        return len(samples) + len(ended)

    def _claim_samples(self, session: Session) -> list[tuple[str, dict[str, str], float]]:
        rows = session.execute(
            select(
                JobMetricEvent.id,
                JobMetricEvent.metric,
                JobMetricEvent.labels,
                JobMetricEvent.value,
            )
            .order_by(JobMetricEvent.created_at)
            .limit(_BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        claimed = set(
            session.scalars(
                delete(JobMetricEvent)
                .where(JobMetricEvent.id.in_([r.id for r in rows]))
                .returning(JobMetricEvent.id)
            )
        )
        return [(r.metric, dict(r.labels), r.value) for r in rows if r.id in claimed]

    def _claim_terminal_jobs(self, session: Session) -> list[TerminalJob]:
        if not self.observers:
            return []
        rows = session.execute(
            select(Job, Tenant.slug)
            .join(Tenant, Tenant.id == Job.tenant_id)
            .where(
                Job.kind.in_(list(self.observers)),
                Job.status.in_(TERMINAL),
                Job.finished_at >= utcnow() - OBSERVATION_WINDOW,
                ~exists().where(JobObservation.job_id == Job.id),
            )
            .order_by(Job.finished_at)
            .limit(_BATCH)
            .with_for_update(of=Job, skip_locked=True)
        ).all()
        ended = []
        for job, slug in rows:
            session.add(JobObservation(job_id=job.id, tenant_id=job.tenant_id))
            ended.append(
                TerminalJob(
                    id=job.id,
                    kind=job.kind,
                    tenant_id=job.tenant_id,
                    tenant_slug=slug,
                    status=job.status,
                    payload=dict(job.payload),
                    duration_seconds=_duration(job.started_at or job.created_at, job.finished_at),
                )
            )
        session.flush()
        return ended


def _duration(start: datetime | None, end: datetime | None) -> float:
    if start is None or end is None:
        return 0.0
    return max(0.0, (end - start).total_seconds())
