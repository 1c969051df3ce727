"""A job whose worker dies is retried or failed with a reason, never left `running`."""

import os
import signal
from pathlib import Path

from maestro.jobs.store import new_lease_owner
from tests.jobs.conftest import LEASE_SECONDS, started_pid


def test_a_killed_worker_process_means_a_retry_then_a_failure_with_a_reason(
    jobs, db, tenant_jobs, tmp_path: Path
):
    jobs.start(db)
    started, release = tmp_path / "started", tmp_path / "release"
    job_id = tenant_jobs.submit("test.wait_for_file", started=str(started), release=str(release))

    os.kill(started_pid(started), signal.SIGKILL)  # attempt 1 dies (OOM killer, segfault, ...)
    started.unlink()
    retried = started_pid(started)  # attempt 2 runs in a fresh process
    assert tenant_jobs.get(job_id).attempts == 2
    assert "worker process died during attempt 1" in tenant_jobs.get(job_id).error

    os.kill(retried, signal.SIGKILL)  # attempt 2 dies too: no attempts left
    failed = tenant_jobs.wait_for(job_id, "failed", timeout=LEASE_SECONDS + 5)

    assert failed.error == "worker process died after 2 attempts"
    assert tenant_jobs.slots_used() == 0
    survivor = tenant_jobs.submit("test.count", n=1)  # the pool recovered its process
    assert tenant_jobs.wait_for(survivor, "succeeded")


def test_restarting_a_crashed_serve_resumes_its_job_within_the_lease(
    settings, tenant_jobs, start_maestro, tmp_path: Path
):
    started, release = tmp_path / "started", tmp_path / "release"
    job_id = tenant_jobs.submit("test.wait_for_file", started=str(started), release=str(release))
    serve = start_maestro(settings, "serve", "--port", "0")
    first_pid = started_pid(started, timeout=30)
    assert tenant_jobs.get(job_id).status == "running"

    serve.kill()  # the server and its pool die mid-job, without finishing anything
    started.unlink()
    start_maestro(settings, "serve", "--port", "0")

    assert started_pid(started, timeout=30) != first_pid  # retried once the lease lapsed
    release.touch()
    done = tenant_jobs.wait_for(job_id, "succeeded")
    assert (done.attempts, done.result) == (2, {"attempt": 2})
    assert tenant_jobs.slots_used() == 0


def test_a_lapsed_lease_with_no_attempts_left_fails_with_a_reason(jobs, db, tenant_jobs, settings):
    """What a vanished worker leaves behind: a running row whose lease nobody renews."""
    settings.job_max_attempts = 1
    job_id = tenant_jobs.submit("test.count", n=1)
    with db.session() as session:
        claimed = jobs.store.claim(session, job_id, new_lease_owner("gone"), LEASE_SECONDS)
    assert claimed is not None and claimed.attempt == 1

    jobs.start(db)  # any replica's periodic sweep finds the lapsed lease
    failed = tenant_jobs.wait_for(job_id, "failed", timeout=LEASE_SECONDS + 5)

    assert failed.error == "worker lost (lease expired) after 1 attempt"
    assert tenant_jobs.slots_used() == 0


def test_a_graceful_stop_puts_running_work_back_without_spending_an_attempt(
    jobs, db, tenant_jobs, tmp_path: Path
):
    started, release = tmp_path / "started", tmp_path / "release"
    job_id = tenant_jobs.submit("test.wait_for_file", started=str(started), release=str(release))
    jobs.start(db)
    started_pid(started)

    jobs.stop()  # what the app lifespan does when `maestro serve` gets SIGTERM
    requeued = tenant_jobs.get(job_id)
    assert (requeued.status, requeued.attempts) == ("queued", 0)
    assert requeued.error == "interrupted by a server shutdown; re-queued"

    release.touch()
    jobs.start(db)
    assert tenant_jobs.wait_for(job_id, "succeeded").result == {"attempt": 1}
