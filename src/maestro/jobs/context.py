"""What a job handler sees: its payload, who asked, progress reporting and cancellation.

A handler is `def handler(ctx: JobContext) -> dict` at the top level of an importable module. It
runs in a worker process (a local pool process or a Celery worker), so it gets no request, no
session and no service objects: it opens its own transactions with `ctx.db.session()` and reads
or writes artifacts through `ctx.artifacts`. It should call `ctx.check_cancelled()` between
steps; a handler that does not is stopped forcibly a heartbeat or two after a cancel.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from maestro.db.session import Database
from maestro.services.quotas import QuotaPolicy
from maestro.settings import Settings
from maestro.storage import ArtifactStore


class JobCancelled(Exception):
    """Raised by `check_cancelled()`; the job ends `cancelled`. Handlers should let it escape."""


class JobFailed(Exception):
    """Raise with a message meant for the user; the job ends `failed` with exactly that error."""


@dataclass
class JobContext:
    job_id: str
    kind: str
    tenant_id: str
    user_id: str | None
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    settings: Settings
    db: Database
    artifacts: ArtifactStore
    quotas: QuotaPolicy
    _report_progress: Callable[[str, float], None] = field(repr=False)
    _should_stop: Callable[[], bool] = field(repr=False)

    def progress(self, stage: str, percent: float) -> None:
        """Publish the current stage and percent (0-100); also a cancellation point."""
        self.check_cancelled()
        self._report_progress(stage, percent)

    @property
    def cancel_requested(self) -> bool:
        return self._should_stop()

    def check_cancelled(self) -> None:
        """Raise JobCancelled once a cancel was requested (or the lease was lost)."""
        if self._should_stop():
            raise JobCancelled(f"job {self.job_id} was cancelled")
