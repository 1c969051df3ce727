"""The job pipeline on /metrics: jobs per kind and state, queue age, lease expiries, outbox."""

from datetime import timedelta

from prometheus_client import CollectorRegistry
from sqlalchemy import update

from maestro.db.base import utcnow
from maestro.db.models import Job
from maestro.jobs.registry import registered_kinds
from maestro.jobs.store import new_lease_owner
from maestro.observability.job_collector import JobPipelineCollector
from maestro.observability.metrics import JOB_LEASE_EXPIRIES, JOB_RETRIES
from maestro.services.job_metrics import MetricsRelay
from tests.jobs.conftest import LEASE_SECONDS


def gauges(db) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobPipelineCollector(db, registered_kinds, cache_seconds=0))
    return registry


def test_queued_and_running_jobs_are_counted_per_kind_with_zeros_for_idle_kinds(
    db, jobs, tenant_jobs
):
    for _ in range(2):
        tenant_jobs.submit("test.count", n=1)
    running = tenant_jobs.submit("test.count", n=1)
    with db.session() as session:
        jobs.store.claim(session, running, new_lease_owner("w"), LEASE_SECONDS)

    registry = gauges(db)

    def value(kind: str, state: str) -> float | None:
        return registry.get_sample_value("maestro_jobs", {"kind": kind, "state": state})

    assert value("test.count", "queued") == 2
    assert value("test.count", "running") == 1
    idle = next(kind for kind in registered_kinds() if kind != "test.count")
    assert (value(idle, "queued"), value(idle, "running")) == (0, 0)


def test_the_oldest_queued_job_age_is_reported_per_kind(db, tenant_jobs):
    old = tenant_jobs.submit("test.count", n=1)
    tenant_jobs.submit("test.count", n=1)
    with db.session() as session:
        session.execute(
            update(Job).where(Job.id == old).values(created_at=utcnow() - timedelta(minutes=20))
        )

    registry = gauges(db)

    age = registry.get_sample_value("maestro_job_oldest_queued_seconds", {"kind": "test.count"})
    assert 20 * 60 <= age < 21 * 60
    idle = next(kind for kind in registered_kinds() if kind != "test.count")
    assert registry.get_sample_value("maestro_job_oldest_queued_seconds", {"kind": idle}) == 0


def test_a_lapsed_lease_is_counted_once_as_an_expiry_and_a_retry_through_the_outbox(
    db, jobs, tenant_jobs
):
    job_id = tenant_jobs.submit("test.count", n=1)
    with db.session() as session:
        jobs.store.claim(session, job_id, new_lease_owner("gone"), LEASE_SECONDS)
    expiries = JOB_LEASE_EXPIRIES.labels(kind="test.count")._value.get()
    retries = JOB_RETRIES.labels(kind="test.count")._value.get()

    with db.session() as session:
        report = jobs.store.recover_expired(session, now=utcnow() + timedelta(hours=1))
    assert report.requeued == [job_id]
    backlog = gauges(db).get_sample_value("maestro_job_metrics_outbox_backlog")
    assert backlog == 2  # one expiry, one retry, waiting for an API process

    assert MetricsRelay(db, {}).run_once() == 2
    assert JOB_LEASE_EXPIRIES.labels(kind="test.count")._value.get() == expiries + 1
    assert JOB_RETRIES.labels(kind="test.count")._value.get() == retries + 1
    assert gauges(db).get_sample_value("maestro_job_metrics_outbox_backlog") == 0


def test_a_lapsed_lease_on_the_last_attempt_is_an_expiry_but_no_retry(db, jobs, tenant_jobs):
    job_id = tenant_jobs.submit("test.count", n=1)
    with db.session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(max_attempts=1))
        jobs.store.claim(session, job_id, new_lease_owner("gone"), LEASE_SECONDS)
    with db.session() as session:
        report = jobs.store.recover_expired(session, now=utcnow() + timedelta(hours=1))

    assert report.failed == [job_id]
    assert gauges(db).get_sample_value("maestro_job_metrics_outbox_backlog") == 1
