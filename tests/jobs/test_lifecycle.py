"""A job's life on the local executor: run, fail, cancel, quotas, and tenant isolation."""

from datetime import timedelta
from pathlib import Path

import pytest

from maestro.errors import NotFound, QuotaExceeded, ValidationFailed
from maestro.services.jobs import job_view
from tests.jobs.conftest import Jobs, started_pid


def test_a_job_goes_from_queued_to_succeeded_with_progress_and_result(jobs, db, tenant_jobs):
    job_id = tenant_jobs.submit("test.count", n=20)
    queued = tenant_jobs.get(job_id)
    assert (queued.status, queued.attempts, queued.started_at) == ("queued", 0, None)

    jobs.start(db)
    done = tenant_jobs.wait_for(job_id, "succeeded")

    view = job_view(done)
    assert view["result"] == {"total": 210, "attempt": 1}
    assert view["progress"] == {"stage": "counting", "percent": 100.0}
    assert view["error"] is None
    assert view["attempts"] == 1
    assert view["created_at"] <= view["started_at"] <= view["finished_at"]
    assert tenant_jobs.slots_used() == 0


def test_a_failing_handler_fails_the_job_with_a_readable_error(jobs, db, tenant_jobs):
    jobs.start(db)
    crashed = tenant_jobs.submit("test.explode")
    refused = tenant_jobs.submit("test.refuse")

    assert tenant_jobs.wait_for(crashed, "failed").error == "KeyError: 'target'"
    assert (
        tenant_jobs.wait_for(refused, "failed").error
        == "the dataset has a single class; nothing to learn"
    )
    assert tenant_jobs.get(crashed).attempts == 1  # a handler error is not retried
    assert tenant_jobs.slots_used() == 0


def test_unknown_kinds_and_non_json_payloads_are_refused(tenant_jobs):
    with pytest.raises(ValidationFailed, match="unknown job kind"):
        tenant_jobs.submit("no.such.kind")
    with pytest.raises(ValidationFailed, match="not JSON"):
        tenant_jobs.submit("test.count", n={1, 2})


def test_the_concurrent_jobs_quota_bounds_a_tenant_and_every_end_gives_the_slot_back(
    settings, db, make_principal, tmp_path: Path
):
    from maestro.services.jobs import JobService
    from maestro.services.quotas import QuotaPolicy

    settings.job_pool_size = 2
    jobs = JobService(QuotaPolicy(settings.quotas), settings)
    tenant = Jobs(jobs, db, make_principal(concurrent_jobs=2))
    jobs.start(db)
    try:
        release = tmp_path / "release"
        first = tenant.submit("test.wait_for_file", release=str(release))
        second = tenant.submit("test.until_cancelled")
        with pytest.raises(QuotaExceeded):
            tenant.submit("test.count", n=1)
        assert tenant.submit("test.count_free", n=3)  # a kind without a slot is not bounded

        release.touch()
        assert tenant.wait_for(first, "succeeded")
        assert tenant.slots_used() == 1
        failing = tenant.submit("test.explode")  # the freed slot is usable again
        assert tenant.wait_for(failing, "failed")
        tenant.wait_for(second, "running")
        tenant.cancel(second)
        assert tenant.wait_for(second, "cancelled")
        assert tenant.slots_used() == 0
    finally:
        jobs.stop()


def test_cancelling_a_queued_job_ends_it_at_once(tenant_jobs):
    job_id = tenant_jobs.submit("test.count", n=1)  # no executor running: it stays queued
    assert tenant_jobs.slots_used() == 1

    cancelled = tenant_jobs.cancel(job_id)

    assert (cancelled.status, cancelled.error) == ("cancelled", "cancelled before start")
    assert tenant_jobs.slots_used() == 0
    assert tenant_jobs.cancel(job_id).status == "cancelled"  # idempotent, released once
    assert tenant_jobs.slots_used() == 0


@pytest.mark.parametrize("kind", ["test.until_cancelled", "test.stubborn"])
def test_cancelling_a_running_job_stops_it_within_seconds_and_frees_the_worker(
    kind, jobs, db, tenant_jobs, tmp_path: Path
):
    """Cooperative handlers stop at check_cancelled(); others get their process ended."""
    jobs.start(db)  # one worker process
    started = tmp_path / "started"
    job_id = tenant_jobs.submit(kind, started=str(started))
    tenant_jobs.wait_for(job_id, "running")
    started_pid(started)

    assert tenant_jobs.cancel(job_id).cancel_requested
    cancelled = tenant_jobs.wait_for(job_id, "cancelled", timeout=5)

    assert cancelled.finished_at - cancelled.started_at < timedelta(seconds=10)
    assert tenant_jobs.slots_used() == 0
    next_job = tenant_jobs.submit("test.count", n=2)
    assert tenant_jobs.wait_for(next_job, "succeeded").result == {"total": 3, "attempt": 1}


def test_another_tenants_job_does_not_exist(jobs, db, tenant_jobs, make_principal):
    job_id = tenant_jobs.submit("test.count", n=1)
    stranger = Jobs(jobs, db, make_principal())

    with pytest.raises(NotFound):
        stranger.get(job_id)
    with pytest.raises(NotFound):
        stranger.cancel(job_id)
    with db.session() as session:
        assert jobs.list(session, stranger.principal).items == []
        own = jobs.list(session, tenant_jobs.principal, kind="test.count")
        assert [job.id for job in own.items] == [job_id]
    assert tenant_jobs.get(job_id).status == "queued"
