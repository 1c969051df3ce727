"""Jobs as tenants see them: submit, read, list, cancel, and the executor's lifecycle.

Feature services (training, feature discovery, ...) call `submit` inside their own transaction,
after validating their payload; the executor hears about the job only once that transaction
commits, so a worker never looks for a row it cannot see yet.
"""

import json
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from maestro.db.models import Job
from maestro.db.session import Database
from maestro.errors import NotFound, ValidationFailed
from maestro.jobs.executor import Executor, build_executor
from maestro.jobs.registry import get_job_kind, load_job_kinds
from maestro.jobs.store import JobStatus, JobStore
from maestro.services.pagination import Page, paginate
from maestro.services.principal import Principal
from maestro.services.quotas import QuotaPolicy
from maestro.settings import Settings


def job_view(job: Job) -> dict[str, Any]:
    """The public shape of a job, for API responses built on top of it."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "result": job.result,
        "error": job.error,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "cancel_requested": job.cancel_requested,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "updated_at": job.updated_at,
    }


class JobService:
    def __init__(self, quotas: QuotaPolicy, settings: Settings) -> None:
        self.store = JobStore(quotas)
        self.settings = settings
        self._executor: Executor | None = None

    # --- executor lifecycle (the app lifespan) ----------------------------------------------

    def start(self, db: Database) -> None:
        """Load the job kinds, then start `MAESTRO_EXECUTOR` (dispatch and lease recovery)."""
        load_job_kinds(self.settings.job_modules)
        executor = build_executor(self.settings, db, self.store)
        executor.start()
        self._executor = executor

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.stop()
            self._executor = None

    # --- tenant operations ------------------------------------------------------------------

    def submit(
        self, session: Session, principal: Principal, kind: str, payload: dict[str, Any]
    ) -> Job:
        """Queue a job of a registered kind; may raise QuotaExceeded (concurrent jobs)."""
        principal.require_write()
        tenant_id = principal.require_tenant()
        entry = get_job_kind(kind)
        if entry is None:
            raise ValidationFailed(f"unknown job kind {kind!r}", details={"kind": kind})
        try:
            json.dumps(payload)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(f"job payload is not JSON: {exc}") from exc
        job = self.store.enqueue(
            session,
            tenant_id=tenant_id,
            created_by=principal.user_id or None,  # system principals have no user
            kind=kind,
            payload=payload,
            uses_concurrency_slot=entry.uses_concurrency_slot,
            max_attempts=entry.max_attempts or self.settings.job_max_attempts,
        )
        executor = self._executor
        if executor is not None:
            job_id = job.id
            event.listen(
                session, "after_commit", lambda _session: executor.notify(job_id), once=True
            )
        return job

    def get(
        self, session: Session, principal: Principal, job_id: str, *, kind: str | None = None
    ) -> Job:
        """Another tenant's job, or one of another kind, does not exist."""
        statement = select(Job).where(Job.id == job_id, Job.tenant_id == principal.require_tenant())
        if kind is not None:
            statement = statement.where(Job.kind == kind)
        job = session.scalar(statement)
        if job is None:
            raise NotFound(f"job {job_id!r} not found")
        return job

    def list(
        self,
        session: Session,
        principal: Principal,
        *,
        kind: str | None = None,
        status: JobStatus | None = None,
        limit: int = 50,
        cursor: str | None = None,
        newest_first: bool = False,
    ) -> Page[Job]:
        statement = select(Job).where(Job.tenant_id == principal.require_tenant())
        if kind is not None:
            statement = statement.where(Job.kind == kind)
        if status is not None:
            statement = statement.where(Job.status == status.value)
        return paginate(
            session,
            statement,
            created_at=Job.created_at,
            row_id=Job.id,
            limit=limit,
            cursor=cursor,
            newest_first=newest_first,
        )

    def cancel(
        self, session: Session, principal: Principal, job_id: str, *, kind: str | None = None
    ) -> Job:
        """Queued: cancelled now. Running: stopped within a heartbeat or two. Ended: unchanged."""
        principal.require_write()
        return self.store.request_cancel(session, self.get(session, principal, job_id, kind=kind))
