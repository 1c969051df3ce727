"""Running one claimed job inside a worker process: heartbeats, the handler, the final state.

Used by both executors (a local pool process and a Celery worker child). A lease keeper thread
extends the lease every `MAESTRO_JOB_HEARTBEAT_SECONDS` and learns from the same write whether a
cancel was requested or the lease was lost. The handler sees that through `check_cancelled()`;
if it does not stop within one more heartbeat, the keeper records the cancellation and ends the
process (`os._exit`), because Python cannot interrupt a thread stuck in native code. The pool
or Celery replaces the process; the job is already terminal, so nothing runs it twice. The keeper
also ends a job that runs past its kind's `MAESTRO_JOB_MAX_RUN_SECONDS`, failing it (no retry).
"""

import json
import logging
import os
import threading
import time
import traceback
from typing import Any

from maestro.db.session import Database
from maestro.jobs.context import JobCancelled, JobContext, JobFailed
from maestro.jobs.executor import max_run_seconds, run_time_exceeded
from maestro.jobs.registry import get_job_kind, resolve_handler
from maestro.jobs.store import ClaimedJob, JobStatus, JobStore, LeaseState, new_lease_owner
from maestro.services.quotas import QuotaPolicy
from maestro.settings import Settings
from maestro.storage import ArtifactStore, artifact_store_from_uri

logger = logging.getLogger("maestro.jobs")

FORCED_EXIT_CODE = 75
_PROGRESS_MIN_INTERVAL = 0.25  # seconds between progress writes within one stage

# One engine and one artifact store per worker process, reused by every job it runs.
_databases: dict[str, Database] = {}
_artifact_stores: dict[tuple[str, str | None], ArtifactStore] = {}


def worker_database(settings: Settings) -> Database:
    url = settings.resolved_database_url
    if url not in _databases:
        _databases[url] = Database(url)
    return _databases[url]


def worker_artifacts(settings: Settings) -> ArtifactStore:
    key = (settings.resolved_artifact_uri, settings.s3_endpoint_url)
    if key not in _artifact_stores:
        _artifact_stores[key] = artifact_store_from_uri(key[0], s3_endpoint_url=key[1])
    return _artifact_stores[key]


class LeaseKeeper(threading.Thread):
    """Heartbeats for one job; turns a cancel or a lost lease into a stop, forcibly if need be."""

    def __init__(self, db: Database, store: JobStore, job: ClaimedJob, settings: Settings) -> None:
        super().__init__(name=f"lease-{job.id[:8]}", daemon=True)
        self._db = db
        self._store = store
        self._job = job
        self._lease = settings.job_lease_seconds
        self._interval = settings.job_heartbeat_seconds
        self._stopped = threading.Event()
        self._finishing = threading.Lock()
        self._done = False
        self.state = LeaseState.HELD
        self._stop_seen_at: float | None = None
        self._last_progress: tuple[str, float] = ("", 0.0)
        self._limit = max_run_seconds(settings, job.kind)
        self._deadline = time.monotonic() + self._limit

    @property
    def should_stop(self) -> bool:
        return self.state is not LeaseState.HELD

    def run(self) -> None:
        while not self._stopped.wait(self._interval):
            if time.monotonic() > self._deadline:
                self._time_out()
            try:
                with self._db.session() as session:
                    state = self._store.heartbeat(
                        session, self._job.id, self._job.owner, self._lease
                    )
            except Exception:  # the database may come back before the lease runs out
                logger.warning("heartbeat for job %s failed", self._job.id, exc_info=True)
                continue
            if state is LeaseState.LOST or self.state is LeaseState.HELD:
                self.state = state  # a lost lease outranks a cancel
            if state is not LeaseState.HELD and self._stop_seen_at is None:
                self._stop_seen_at = time.monotonic()
            if self._stop_seen_at is not None and (
                time.monotonic() - self._stop_seen_at >= self._interval
            ):
                self._force_stop()

    def _force_stop(self) -> None:
        with self._finishing:
            if self._done:
                return
            if self.state is LeaseState.CANCEL_REQUESTED:
                with self._db.session() as session:
                    self._store.finish(
                        session,
                        self._job.id,
                        self._job.owner,
                        JobStatus.CANCELLED,
                        error="cancelled (stopped forcibly: the handler did not stop in time)",
                    )
            logger.warning("job %s: stopping its worker process (%s)", self._job.id, self.state)
            os._exit(FORCED_EXIT_CODE)

    def _time_out(self) -> None:
        """Past the kind's maximum run time: fail the job (no retry) and end the process."""
        with self._finishing:
            if self._done:
                return
            reason = run_time_exceeded(self._limit, self._job.kind)
            try:
                with self._db.session() as session:
                    self._store.finish(
                        session, self._job.id, self._job.owner, JobStatus.FAILED, error=reason
                    )
            except Exception:  # the lease lapses and the sweep retries or fails the job
                logger.exception("could not fail job %s", self._job.id)
            logger.warning("job %s: %s; stopping its worker process", self._job.id, reason)
            os._exit(FORCED_EXIT_CODE)

    def report_progress(self, stage: str, percent: float) -> None:
        last_stage, last_time = self._last_progress
        now = time.monotonic()
        if stage == last_stage and percent < 100 and now - last_time < _PROGRESS_MIN_INTERVAL:
            return
        self._last_progress = (stage, now)
        with self._db.session() as session:
            self._store.set_progress(session, self._job.id, self._job.owner, stage, percent)

    def finish(self, status: JobStatus, result: dict[str, Any] | None, error: str | None) -> None:
        """Write the outcome unless the lease is gone; from here on no forced stop."""
        with self._finishing:
            self._done = True
            self._stopped.set()
            with self._db.session() as session:
                if not self._store.finish(
                    session, self._job.id, self._job.owner, status, result=result, error=error
                ):
                    logger.warning("job %s finished after losing its lease", self._job.id)


def _outcome(
    handler_path: str, ctx: JobContext
) -> tuple[JobStatus, dict[str, Any] | None, str | None]:
    try:
        result = resolve_handler(handler_path)(ctx)
    except JobCancelled:
        return JobStatus.CANCELLED, None, "cancelled"
    except JobFailed as exc:
        return JobStatus.FAILED, None, str(exc) or "job failed"
    except Exception as exc:
        logger.error("job %s (%s) failed:\n%s", ctx.job_id, ctx.kind, traceback.format_exc())
        return JobStatus.FAILED, None, f"{type(exc).__name__}: {exc}"
    result = {} if result is None else result
    if not isinstance(result, dict):
        return JobStatus.FAILED, None, f"job handler returned {type(result).__name__}, not a dict"
    try:
        json.dumps(result)
    except (TypeError, ValueError) as exc:
        return JobStatus.FAILED, None, f"job result is not JSON-serializable: {exc}"
    return JobStatus.SUCCEEDED, result, None


def execute(job: ClaimedJob, handler_path: str, settings: Settings) -> str:
    """Run a claimed job to a terminal state (or to a lost lease); returns the final status."""
    db = worker_database(settings)
    quotas = QuotaPolicy(settings.quotas)
    store = JobStore(quotas)
    keeper = LeaseKeeper(db, store, job, settings)
    keeper.start()
    ctx = JobContext(
        job_id=job.id,
        kind=job.kind,
        tenant_id=job.tenant_id,
        user_id=job.created_by,
        payload=job.payload,
        attempt=job.attempt,
        max_attempts=job.max_attempts,
        settings=settings,
        db=db,
        artifacts=worker_artifacts(settings),
        quotas=quotas,
        _report_progress=keeper.report_progress,
        _should_stop=lambda: keeper.should_stop,
    )
    status, result, error = _outcome(handler_path, ctx)
    keeper.finish(status, result, error)  # a no-op when the lease was lost
    return LeaseState.LOST.value if keeper.state is LeaseState.LOST else status.value


def run_delivered_job(job_id: str, settings: Settings) -> str:
    """Celery's entry: claim the row (a duplicate delivery finds it taken and does nothing)."""
    store = JobStore(QuotaPolicy(settings.quotas))
    db = worker_database(settings)
    with db.session() as session:
        job = store.claim(session, job_id, new_lease_owner("celery"), settings.job_lease_seconds)
    if job is None:
        logger.info("job %s is not queued any more; delivery ignored", job_id)
        return "ignored"
    kind = get_job_kind(job.kind)
    if kind is None:
        with db.session() as session:
            store.finish(
                session,
                job.id,
                job.owner,
                JobStatus.FAILED,
                error=f"job kind {job.kind!r} is not registered on this worker",
            )
        return JobStatus.FAILED.value
    return execute(job, kind.handler_path, settings)
