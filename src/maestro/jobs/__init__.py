"""Durable background jobs: rows with a lease, a local process pool or Celery to run them.

Feature areas register a kind once (`register_job_kind`) and submit through
`maestro.services.jobs.JobService`; their handler receives a `JobContext`.
"""

from maestro.jobs.context import JobCancelled, JobContext, JobFailed
from maestro.jobs.registry import load_job_kinds, register_job_kind
from maestro.jobs.store import JobStatus

__all__ = [
    "JobCancelled",
    "JobContext",
    "JobFailed",
    "JobStatus",
    "load_job_kinds",
    "register_job_kind",
]
