"""The job pipeline read from the database at scrape time: what waits, what runs, what lags.

Like the tenant state gauges, these are facts of the database, identical on every replica, so
they are read there (cached for a few seconds) rather than kept as live gauges. Every registered
kind gets a series for each state even at 0, so panels and alerts show 0 instead of no data, and
the label values stay a closed set (kinds are registered in code, states are an enum).
"""

from collections.abc import Callable

from sqlalchemy import func, select

from maestro.db.base import utcnow
from maestro.db.models import Job, JobMetricEvent
from maestro.db.session import Database
from maestro.observability import metrics
from maestro.observability.collector import CachedDatabaseCollector
from maestro.observability.gauge_text import GaugeRows

ACTIVE_STATES = ("queued", "running")


class JobPipelineCollector(CachedDatabaseCollector):
    def __init__(
        self, db: Database, kinds: Callable[[], list[str]], *, cache_seconds: float
    ) -> None:
        super().__init__(db, cache_seconds=cache_seconds)
        self._kinds = kinds

    def _read(self) -> list[GaugeRows]:
        jobs = GaugeRows(
            metrics.JOBS, "Jobs by kind and state (queued, running).", ["kind", "state"]
        )
        oldest = GaugeRows(
            metrics.JOB_OLDEST_QUEUED_SECONDS,
            "Age of the oldest queued job of the kind; 0 when none waits.",
            ["kind"],
        )
        backlog = GaugeRows(
            metrics.JOB_METRICS_OUTBOX_BACKLOG,
            "Job metric samples written by workers and not yet applied by an API process.",
            [],
        )
        with self._db.read_session() as session:
            counts = {
                (kind, status): n
                for kind, status, n in session.execute(
                    select(Job.kind, Job.status, func.count())
                    .where(Job.status.in_(ACTIVE_STATES))
                    .group_by(Job.kind, Job.status)
                ).all()
            }
            first_queued = dict(
                session.execute(
                    select(Job.kind, func.min(Job.created_at))
                    .where(Job.status == "queued")
                    .group_by(Job.kind)
                ).all()
            )
            waiting = session.scalar(select(func.count()).select_from(JobMetricEvent)) or 0
        now = utcnow()
        for kind in sorted(set(self._kinds()) | {kind for kind, _ in counts}):
            for state in ACTIVE_STATES:
                jobs.add((kind, state), counts.get((kind, state), 0))
            since = first_queued.get(kind)
            oldest.add((kind,), max(0.0, (now - since).total_seconds()) if since else 0.0)
        backlog.add((), waiting)
        return [jobs, oldest, backlog]
