"""The job state machine on the `jobs` table: every transition is one guarded write.

    queued --claim--> running --finish--> succeeded | failed | cancelled
    queued --cancel--> cancelled
    running --lease lost--> queued (attempts left) | failed (none left) | cancelled (cancel asked)

A transition either wins a compare-and-set (`UPDATE ... WHERE status = ...`) or locks the row
first (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's write transactions are serialized by
`BEGIN IMMEDIATE`), so two processes never both move the same job. The `concurrent_training_jobs`
slot a job takes at enqueue is given back in the same transaction that makes it terminal, and the
`holds_concurrency_slot` flag flips with it, so it is released exactly once.
"""

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from maestro.db.base import utcnow
from maestro.db.models import Job
from maestro.services.job_metrics import record_lost_attempt
from maestro.services.quotas import QuotaPolicy

logger = logging.getLogger("maestro.jobs")

SLOT_RESOURCE = "concurrent_training_jobs"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class LeaseState(StrEnum):
    """What a heartbeat learned: keep going, stop because cancelled, or stop because lost."""

    HELD = "held"
    CANCEL_REQUESTED = "cancel_requested"
    LOST = "lost"


@dataclass(frozen=True)
class ClaimedJob:
    """Plain data handed to a worker process: everything a handler may know about its job."""

    id: str
    kind: str
    tenant_id: str
    created_by: str | None
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    owner: str


@dataclass
class RecoveryReport:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.requeued or self.failed or self.cancelled)


def new_lease_owner(role: str) -> str:
    """A token unique to one claim: a stale worker of an earlier attempt can never match it."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _claimed(job: Job) -> ClaimedJob:
    assert job.lease_owner is not None
    return ClaimedJob(
        id=job.id,
        kind=job.kind,
        tenant_id=job.tenant_id,
        created_by=job.created_by,
        payload=dict(job.payload),
        attempt=job.attempts,
        max_attempts=job.max_attempts,
        owner=job.lease_owner,
    )


def _lock(session: Session, job_id: str) -> Job | None:
    return session.scalar(
        select(Job)
        .where(Job.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


class JobStore:
    def __init__(self, quotas: QuotaPolicy) -> None:
        self.quotas = quotas

    # --- submit --------------------------------------------------------------------------

    def enqueue(
        self,
        session: Session,
        *,
        tenant_id: str,
        created_by: str | None,
        kind: str,
        payload: dict[str, Any],
        uses_concurrency_slot: bool,
        max_attempts: int,
    ) -> Job:
        """Insert a queued job in the caller's transaction, taking a concurrency slot if asked."""
        if uses_concurrency_slot:
            self.quotas.consume(session, tenant_id, SLOT_RESOURCE)
        job = Job(
            tenant_id=tenant_id,
            created_by=created_by,
            kind=kind,
            status=JobStatus.QUEUED.value,
            payload=payload,
            attempts=0,
            max_attempts=max(1, max_attempts),
            cancel_requested=False,
            holds_concurrency_slot=uses_concurrency_slot,
        )
        session.add(job)
        session.flush()
        return job

    # --- worker side -----------------------------------------------------------------------

    def claim(
        self, session: Session, job_id: str, owner: str, lease_seconds: float
    ) -> ClaimedJob | None:
        """queued -> running for this owner, or None when someone else got it (or it ended)."""
        now = utcnow()
        won = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
            .values(
                status=JobStatus.RUNNING.value,
                attempts=Job.attempts + 1,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                heartbeat_at=now,
                started_at=now,
                progress=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            return None
        job = session.scalar(
            select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
        )
        return _claimed(job) if job is not None else None

    def claim_next(
        self, session: Session, owner: str, lease_seconds: float, kinds: list[str]
    ) -> ClaimedJob | None:
        """Claim the oldest queued job of one of `kinds` (SKIP LOCKED: replicas never wait)."""
        if not kinds:
            return None
        job_id = session.scalar(
            select(Job.id)
            .where(Job.status == JobStatus.QUEUED.value, Job.kind.in_(kinds))
            .order_by(Job.created_at, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return self.claim(session, job_id, owner, lease_seconds) if job_id else None

    def heartbeat(
        self, session: Session, job_id: str, owner: str, lease_seconds: float
    ) -> LeaseState:
        """Extend the lease; tell the worker whether to go on, stop (cancel) or give up (lost)."""
        now = utcnow()
        cancel_requested = session.scalar(
            update(Job)
            .where(
                Job.id == job_id,
                Job.status == JobStatus.RUNNING.value,
                Job.lease_owner == owner,
            )
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds), heartbeat_at=now)
            .returning(Job.cancel_requested)
            .execution_options(synchronize_session=False)
        )
        if cancel_requested is None:
            return LeaseState.LOST
        return LeaseState.CANCEL_REQUESTED if cancel_requested else LeaseState.HELD

    def set_progress(
        self, session: Session, job_id: str, owner: str, stage: str, percent: float
    ) -> bool:
        """Record where the work is (stage, 0-100); False when the lease is no longer ours."""
        percent = round(min(100.0, max(0.0, float(percent))), 1)
        return (
            session.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.status == JobStatus.RUNNING.value,
                    Job.lease_owner == owner,
                )
                .values(progress={"stage": stage, "percent": percent})
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )

    def finish(
        self,
        session: Session,
        job_id: str,
        owner: str,
        status: JobStatus,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        """running -> terminal, only for the lease holder; False if the job moved on without it."""
        if status not in TERMINAL_STATUSES:
            raise ValueError(f"finish needs a terminal status, not {status!r}")
        job = _lock(session, job_id)
        if job is None or job.status != JobStatus.RUNNING or job.lease_owner != owner:
            return False
        if status is JobStatus.SUCCEEDED:
            stage = (job.progress or {}).get("stage", "done")
            job.progress = {"stage": stage, "percent": 100.0}
        self._terminate(session, job, status, result=result, error=error)
        return True

    # --- control and recovery ---------------------------------------------------------------

    def request_cancel(self, session: Session, job: Job) -> Job:
        """A queued job ends now; a running one is flagged and its worker stops at a heartbeat."""
        locked = _lock(session, job.id)
        if locked is None:
            return job
        if locked.status == JobStatus.QUEUED:
            self._terminate(session, locked, JobStatus.CANCELLED, error="cancelled before start")
        elif locked.status == JobStatus.RUNNING:
            locked.cancel_requested = True
            session.flush()
        return locked

    def release(
        self, session: Session, job_id: str, owner: str, reason: str, *, count_attempt: bool = True
    ) -> JobStatus | None:
        """The holder's worker is gone (process died, server stopping): retry or fail now.

        `count_attempt=False` is for a graceful shutdown: the interruption was ours, not the job's.
        """
        job = _lock(session, job_id)
        if job is None or job.status != JobStatus.RUNNING or job.lease_owner != owner:
            return None
        if not count_attempt and not job.cancel_requested:
            job.attempts = max(0, job.attempts - 1)
            self._requeue(session, job, f"{reason}; re-queued")
            return JobStatus.QUEUED
        return self._lose(session, job, reason)

    def recover_expired(self, session: Session, now: datetime | None = None) -> RecoveryReport:
        """Re-queue or fail every running job whose lease lapsed: none stays `running` forever."""
        report = RecoveryReport()
        expired = session.scalars(
            select(Job)
            .where(Job.status == JobStatus.RUNNING.value, Job.lease_expires_at < (now or utcnow()))
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()
        for job in expired:
            outcome = self._lose(session, job, "worker lost (lease expired)")
            record_lost_attempt(session, job, retried=outcome is JobStatus.QUEUED)
            {
                JobStatus.QUEUED: report.requeued,
                JobStatus.FAILED: report.failed,
                JobStatus.CANCELLED: report.cancelled,
            }[outcome].append(job.id)
        if report:
            logger.warning(
                "recovered jobs with expired leases: requeued=%s failed=%s cancelled=%s",
                report.requeued,
                report.failed,
                report.cancelled,
            )
        return report

    def _lose(self, session: Session, job: Job, reason: str) -> JobStatus:
        if job.cancel_requested:
            self._terminate(session, job, JobStatus.CANCELLED, error=f"cancelled; {reason}")
            return JobStatus.CANCELLED
        if job.attempts < job.max_attempts:
            self._requeue(session, job, f"{reason} during attempt {job.attempts}; retrying")
            return JobStatus.QUEUED
        noun = "attempt" if job.attempts == 1 else "attempts"
        self._terminate(
            session, job, JobStatus.FAILED, error=f"{reason} after {job.attempts} {noun}"
        )
        return JobStatus.FAILED

    def _requeue(self, session: Session, job: Job, error: str) -> None:
        job.status = JobStatus.QUEUED.value
        job.lease_owner = None
        job.lease_expires_at = None
        job.error = error  # why the last attempt did not finish, until the next one does
        session.flush()

    def _terminate(
        self,
        session: Session,
        job: Job,
        status: JobStatus,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        job.status = status.value
        job.result = result
        job.error = error
        job.finished_at = utcnow()
        job.lease_owner = None
        job.lease_expires_at = None
        if job.holds_concurrency_slot:
            self.quotas.release(session, job.tenant_id, SLOT_RESOURCE)
            job.holds_concurrency_slot = False
        session.flush()
