"""The API side of executor `celery`: publish a task per submitted job, sweep expired leases.

Workers run the jobs (`maestro worker`); the API only sends messages and, like the local
executor, re-queues or fails jobs whose lease lapsed, sending a fresh message for each re-queued
one. A publish that fails (broker down) is retried by the same loop.
"""

import logging
import threading

from maestro.db.session import Database
from maestro.jobs.celery_app import RUN_JOB_TASK, create_celery_app
from maestro.jobs.executor import BackgroundExecutor, recovery_interval
from maestro.jobs.store import JobStore
from maestro.settings import Settings

logger = logging.getLogger("maestro.jobs")


class CeleryExecutor(BackgroundExecutor):
    def __init__(self, settings: Settings, db: Database, store: JobStore) -> None:
        super().__init__(settings, db, store)
        self.app = create_celery_app(settings)
        self._unsent: set[str] = set()
        self._lock = threading.Lock()

    def notify(self, job_id: str) -> None:
        try:
            self.app.send_task(RUN_JOB_TASK, args=[job_id], queue=self.settings.celery_queue)
        except Exception:
            logger.exception("could not publish job %s; will retry", job_id)
            with self._lock:
                self._unsent.add(job_id)

    def stop(self, timeout: float = 10.0) -> None:
        self._join(timeout)
        self.app.close()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                with self.db.session() as session:
                    report = self.store.recover_expired(session)
                with self._lock:
                    retry, self._unsent = self._unsent, set()
                for job_id in {*report.requeued, *retry}:
                    self.notify(job_id)
            except Exception:
                logger.exception("job recovery sweep failed")
            self._stopping.wait(recovery_interval(self.settings))
