"""A local job worker never outlives its server, nor runs past its kind's maximum run time.

And it starts wherever the server can run: a `TMPDIR` too deep for the fork server's socket
falls back to spawned workers instead of leaving claimed jobs with nobody renewing their lease.
"""

import os
import signal
from pathlib import Path

from maestro.db.base import utcnow
from maestro.jobs.executor import max_run_seconds
from tests.jobs.conftest import LEASE_SECONDS, job_settings, started_pid, wait_until
from tests.support.pids import alive, group_members


def test_a_job_worker_dies_with_its_killed_serve_and_stops_renewing_the_lease(
    settings, db, jobs, tenant_jobs, start_maestro, tmp_path: Path
):
    started, release = tmp_path / "started", tmp_path / "release"
    job_id = tenant_jobs.submit("test.wait_for_file", started=str(started), release=str(release))
    serve = start_maestro(settings, "serve", "--port", "0")
    worker = started_pid(started, timeout=90)

    os.kill(serve.process.pid, signal.SIGKILL)  # only the server: its children must follow
    serve.process.wait(timeout=10)

    wait_until(lambda: not alive(worker), 10, f"worker {worker} to die with its server")
    wait_until(lambda: not group_members(serve.process.pid), 10, "the fork server to exit")
    wait_until(
        lambda: tenant_jobs.get(job_id).lease_expires_at < utcnow(),
        LEASE_SECONDS + 5,
        "the lease to lapse, renewed by nobody",
    )
    jobs.start(db)  # another replica's sweep
    # The row still says `running` (the dead attempt) until the sweep has run: wait for its word.
    wait_until(lambda: tenant_jobs.get(job_id).error is not None, LEASE_SECONDS + 5, "the sweep")
    assert "worker lost (lease expired) during attempt 1" in tenant_jobs.get(job_id).error
    release.touch()  # the retry may finish
    assert tenant_jobs.wait_for(job_id, "succeeded", timeout=120).attempts == 2


def test_a_job_running_past_its_kinds_maximum_run_time_is_failed_with_that_reason(
    tmp_path: Path, database_url, db, jobs, tenant_jobs
):
    jobs.settings.job_max_run_seconds = {"test.stubborn": 1.0}
    started = tmp_path / "started"
    job_id = tenant_jobs.submit("test.stubborn", started=str(started))
    jobs.start(db)
    worker = started_pid(started)

    failed = tenant_jobs.wait_for(job_id, "failed", timeout=10)

    assert failed.error == "exceeded the maximum run time of 1 s for test.stubborn jobs"
    assert failed.attempts == 1  # not retried: it would only run out of time again
    wait_until(lambda: not alive(worker), 5, "the worker process to be stopped")
    assert tenant_jobs.slots_used() == 0


def test_other_kinds_keep_the_default_maximum_run_time(tmp_path: Path, database_url):
    settings = job_settings(tmp_path, database_url, job_max_run_seconds={"training": 60.0})

    assert max_run_seconds(settings, "training") == 60.0
    assert max_run_seconds(settings, "feature_discovery") == settings.job_max_run_seconds_default


def test_jobs_run_when_tmpdir_is_too_deep_for_the_fork_server_socket(
    settings, tenant_jobs, start_maestro, tmp_path: Path
):
    deep = tmp_path.joinpath(*["a-directory-deeper-than-a-unix-socket-path-allows"] * 3)
    deep.mkdir(parents=True)
    assert len(str(deep)) > 108  # sockaddr_un.sun_path holds 108 bytes
    job_id = tenant_jobs.submit("test.count", n=3)

    serve = start_maestro(settings, "serve", "--port", "0", env={"TMPDIR": str(deep)})

    done = tenant_jobs.wait_for(job_id, "succeeded", "failed", timeout=120)
    assert (done.status, done.attempts, done.result) == ("succeeded", 1, {"total": 6, "attempt": 1})
    assert "job worker processes start with spawn" in serve.log()
