"""Choosing the executor (`MAESTRO_EXECUTOR=local|celery`) behind one small interface."""

import threading
from abc import ABC, abstractmethod
from typing import Protocol

from maestro.db.session import Database
from maestro.jobs.store import JobStore
from maestro.settings import Settings


class Executor(Protocol):
    def start(self) -> None:
        """Begin dispatching and sweeping expired leases (in a background thread)."""

    def notify(self, job_id: str) -> None:
        """Called after a job's transaction commits."""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop; running local work is put back in the queue."""


def recovery_interval(settings: Settings) -> float:
    """Sweep often enough that a dead worker's job moves on within about one lease."""
    return max(0.2, min(settings.job_lease_seconds / 3, 10.0))


def max_run_seconds(settings: Settings, kind: str) -> float:
    """How long a job of `kind` may run (MAESTRO_JOB_MAX_RUN_SECONDS, per kind)."""
    return settings.job_max_run_seconds.get(kind, settings.job_max_run_seconds_default)


def run_time_exceeded(limit: float, kind: str) -> str:
    """The error a job stopped for running too long ends with."""
    return f"exceeded the maximum run time of {limit:g} s for {kind} jobs"


class BackgroundExecutor(ABC):
    """What both executors share: their settings and store, and one background thread."""

    def __init__(self, settings: Settings, db: Database, store: JobStore) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="maestro-jobs", daemon=True)
        self._thread.start()

    def _join(self, timeout: float) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @abstractmethod
    def _loop(self) -> None:
        """The executor's dispatch/recovery loop, run in the background thread."""


def build_executor(settings: Settings, db: Database, store: JobStore) -> Executor:
    if settings.executor == "celery":
        from maestro.jobs.celery_executor import CeleryExecutor

        return CeleryExecutor(settings, db, store)
    from maestro.jobs.local import LocalExecutor

    return LocalExecutor(settings, db, store)
