"""Executor `local`: a process pool inside `maestro serve`.

One dispatcher thread claims queued jobs from the database (so any number of API replicas share
the queue safely) and hands each to a slot. A slot is a single-process `ProcessPoolExecutor`
(forkserver: the server has threads, and fork would copy their locks): when a job's process dies
or is stopped forcibly on cancel, only that slot breaks, its job is retried or failed at once,
and the slot gets a fresh process for the next job. The same thread sweeps expired leases
(at start-up and periodically), which is how jobs of a crashed server are recovered.

A worker process never outlives its server: it asks the kernel for SIGKILL when its parent dies
(`PR_SET_PDEATHSIG`; the fork server it descends from exits with the server) and watches the
server's pid as well, so a `kill -9` of `maestro serve` leaves no orphan renewing its lease. A job
that runs longer than its kind's `MAESTRO_JOB_MAX_RUN_SECONDS` is stopped and failed with that
reason.
"""

import logging
import multiprocessing
import multiprocessing.connection
import os
import socket
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from maestro.db.session import Database
from maestro.jobs.executor import (
    BackgroundExecutor,
    max_run_seconds,
    recovery_interval,
    run_time_exceeded,
)
from maestro.jobs.lifeline import die_with_server
from maestro.jobs.registry import BUILTIN_KIND_MODULES, get_job_kind, registered_kinds
from maestro.jobs.runner import execute
from maestro.jobs.store import ClaimedJob, JobStatus, JobStore, LeaseState, new_lease_owner
from maestro.processes import process_start_time
from maestro.settings import Settings

logger = logging.getLogger("maestro.jobs")


def _mp_context() -> multiprocessing.context.BaseContext:
    """The fork server where it can listen; `spawn` where it is unavailable or cannot.

    The fork server (started at the first job) listens on a Unix socket under `TMPDIR`, and such
    paths are limited to about 107 bytes: with a deep `TMPDIR` it could not start, and the job
    the dispatcher had claimed for it would be lost. A socket bound here first tells.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    try:
        _bind_probe_socket()
    except OSError as exc:
        logger.warning(
            "the job fork server cannot listen (%s; TMPDIR is %s): job worker processes start "
            "with spawn instead, which costs each new worker its imports",
            exc,
            tempfile.gettempdir(),
        )
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # Preloading also hands our sys.path to the fork server, so handlers import alike, and
    # importing the built-in kinds (scikit-learn, polars) there once spares every worker
    # process those seconds on its first job.
    context.set_forkserver_preload(["maestro.jobs.runner", *BUILTIN_KIND_MODULES])
    return context


def _bind_probe_socket() -> None:
    """Bind a Unix socket at the kind of address the fork server will listen on, then remove it."""
    address = multiprocessing.connection.arbitrary_address("AF_UNIX")
    with socket.socket(socket.AF_UNIX) as probe:
        probe.bind(address)
    if not address.startswith("\0"):  # an abstract address leaves no file
        os.unlink(address)


@dataclass
class _Slot:
    pool: ProcessPoolExecutor | None = None
    future: "Future[str] | None" = None
    job: ClaimedJob | None = None
    cancel_seen_at: float | None = None
    started_at: float = 0.0

    @property
    def busy(self) -> bool:
        return self.future is not None

    def kill(self) -> None:
        """Stop the slot's process now (Python < 3.14 has no public kill_workers)."""
        if self.pool is None:
            return
        for process in list(getattr(self.pool, "_processes", {}).values()):
            process.kill()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None


class LocalExecutor(BackgroundExecutor):
    def __init__(self, settings: Settings, db: Database, store: JobStore) -> None:
        super().__init__(settings, db, store)
        self._slots = [_Slot() for _ in range(max(1, settings.job_pool_size))]
        self._mp = _mp_context()
        self._wake = threading.Event()
        self._lifeline = (os.getpid(), process_start_time(os.getpid()))

    def notify(self, job_id: str) -> None:
        """A job was committed: look for work now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop dispatching, end running work and put it back in the queue for the next start."""
        self._wake.set()
        self._join(timeout)
        for slot in self._slots:
            job = slot.job
            slot.kill()
            if job is not None:
                self._release(job, "interrupted by a server shutdown", count_attempt=False)
            slot.future = slot.job = None

    def _loop(self) -> None:
        next_sweep = next_beat = 0.0
        while not self._stopping.is_set():
            try:
                self._reap()
                if time.monotonic() >= next_beat:
                    self._heartbeat()
                    next_beat = time.monotonic() + self.settings.job_heartbeat_seconds
                if time.monotonic() >= next_sweep:
                    with self.db.session() as session:
                        self.store.recover_expired(session)
                    next_sweep = time.monotonic() + recovery_interval(self.settings)
                self._dispatch()
            except Exception:  # a database outage must not kill the dispatcher
                logger.exception("job dispatcher iteration failed")
            self._wake.wait(self.settings.job_poll_seconds)
            self._wake.clear()

    def _reap(self) -> None:
        for slot in self._slots:
            if slot.future is None:
                continue
            if not slot.future.done():
                self._enforce_max_run_time(slot)
                continue
            job, error = slot.job, slot.future.exception()
            slot.future = slot.job = slot.cancel_seen_at = None
            if error is None or job is None:
                continue
            if isinstance(error, BrokenProcessPool):
                reason = "worker process died"
                slot.kill()
            else:
                reason = f"worker error: {type(error).__name__}: {error}"
            self._release(job, reason)

    def _enforce_max_run_time(self, slot: _Slot) -> None:
        job = slot.job
        if job is None:
            return
        limit = max_run_seconds(self.settings, job.kind)
        if time.monotonic() - slot.started_at <= limit:
            return
        slot.kill()
        slot.future = slot.job = slot.cancel_seen_at = None
        reason = run_time_exceeded(limit, job.kind)
        try:
            with self.db.session() as session:
                self.store.finish(session, job.id, job.owner, JobStatus.FAILED, error=reason)
        except Exception:  # the lease will expire and the sweep will retry or fail it
            logger.exception("could not fail job %s", job.id)
            return
        logger.warning("job %s: %s; its worker process was stopped", job.id, reason)

    def _heartbeat(self) -> None:
        """Hold the leases of our running jobs too: a process still starting cannot yet.

        It also enforces a cancel the worker process did not act on in time.
        """
        lease, grace = self.settings.job_lease_seconds, 2 * self.settings.job_heartbeat_seconds + 1
        for slot in self._slots:
            job = slot.job
            if job is None:
                continue
            with self.db.session() as session:
                state = self.store.heartbeat(session, job.id, job.owner, lease)
            if state is LeaseState.LOST:
                logger.warning("job %s: lease lost; stopping its worker process", job.id)
                slot.kill()
            elif state is LeaseState.CANCEL_REQUESTED:
                slot.cancel_seen_at = slot.cancel_seen_at or time.monotonic()
                if time.monotonic() - slot.cancel_seen_at > grace:
                    slot.kill()
                    self._release(job, "worker process stopped")

    def _dispatch(self) -> None:
        for slot in self._slots:
            if slot.busy or self._stopping.is_set():
                continue
            with self.db.session() as session:
                job = self.store.claim_next(
                    session,
                    new_lease_owner("local"),
                    self.settings.job_lease_seconds,
                    registered_kinds(),
                )
            if job is None:
                return
            kind = get_job_kind(job.kind)
            assert kind is not None  # claim_next only takes registered kinds
            try:
                if slot.pool is None:
                    slot.pool = ProcessPoolExecutor(
                        max_workers=1,
                        mp_context=self._mp,
                        initializer=die_with_server,
                        initargs=self._lifeline,
                    )
                future = slot.pool.submit(execute, job, kind.handler_path, self.settings)
            except (BrokenProcessPool, RuntimeError):  # the pool broke between jobs
                slot.kill()
                self._release(job, "worker pool unavailable", count_attempt=False)
                continue
            except Exception as exc:
                # A claimed job in no slot would have nobody renewing its lease and fail as
                # "worker lost" with the real cause hidden: give it back with that cause.
                logger.exception("job %s: cannot start a worker process", job.id)
                slot.kill()
                self._release(job, f"worker process could not start: {type(exc).__name__}: {exc}")
                continue
            slot.job, slot.future, slot.started_at = job, future, time.monotonic()
            future.add_done_callback(lambda _future: self._wake.set())

    def _release(self, job: ClaimedJob, reason: str, *, count_attempt: bool = True) -> None:
        try:
            with self.db.session() as session:
                outcome = self.store.release(
                    session, job.id, job.owner, reason, count_attempt=count_attempt
                )
        except Exception:  # the lease will expire and the sweep will do the same later
            logger.exception("could not release job %s", job.id)
            return
        if outcome is not None:
            logger.warning("job %s: %s -> %s", job.id, reason, outcome)
