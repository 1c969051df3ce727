"""Executor `celery`: real `maestro worker` processes on both supported brokers.

Every test runs on the Redis at 127.0.0.1:6379 and on the RabbitMQ at 127.0.0.1:5672. Each test
gets its own queue name, so parallel runs on one broker never take each other's jobs.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kombu import Connection

from maestro.settings import Settings
from tests.jobs.conftest import LEASE_SECONDS, job_settings, started_pid

BROKER_URLS = {
    "redis": os.environ.get("MAESTRO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("MAESTRO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}


@pytest.fixture(params=sorted(BROKER_URLS))
def broker_url(request: pytest.FixtureRequest) -> str:
    return BROKER_URLS[request.param]


@pytest.fixture
def settings(tmp_path: Path, database_url: str, broker_url: str) -> Iterator[Settings]:
    queue = f"maestro-test-jobs-{uuid.uuid4().hex}"
    yield job_settings(
        tmp_path, database_url, executor="celery", broker_url=broker_url, celery_queue=queue
    )
    with Connection(broker_url) as connection:  # the test's queue goes with it, on any broker
        connection.default_channel.queue_delete(queue)


def test_a_worker_runs_jobs_and_a_killed_worker_means_a_retry_within_the_lease(
    jobs, db, tenant_jobs, settings, start_maestro, tmp_path: Path
):
    jobs.start(db)  # the API side: publishes tasks and sweeps expired leases
    worker = start_maestro(settings, "worker", "--concurrency", "1")

    quick = tenant_jobs.submit("test.count", n=5)
    assert tenant_jobs.wait_for(quick, "succeeded", timeout=30).result == {
        "total": 15,
        "attempt": 1,
    }

    started, release = tmp_path / "started", tmp_path / "release"
    job_id = tenant_jobs.submit("test.wait_for_file", started=str(started), release=str(release))
    started_pid(started)
    worker.kill()  # SIGKILL to the worker and its pool: the host is gone
    started.unlink()

    requeued = tenant_jobs.wait_for(job_id, "queued", timeout=LEASE_SECONDS + 5)
    assert "worker lost (lease expired) during attempt 1" in requeued.error
    start_maestro(settings, "worker", "--concurrency", "1")  # a replacement worker
    started_pid(started, timeout=30)
    release.touch()
    done = tenant_jobs.wait_for(job_id, "succeeded")
    assert (done.attempts, done.result) == (2, {"attempt": 2})
    assert tenant_jobs.slots_used() == 0


def test_cancelling_a_job_on_a_worker_stops_it_and_frees_the_worker(
    jobs, db, tenant_jobs, settings, start_maestro, tmp_path: Path
):
    jobs.start(db)
    start_maestro(settings, "worker", "--concurrency", "1")
    started = tmp_path / "started"
    job_id = tenant_jobs.submit("test.stubborn", started=str(started))
    started_pid(started, timeout=30)

    tenant_jobs.cancel(job_id)

    assert tenant_jobs.wait_for(job_id, "cancelled", timeout=5)
    after = tenant_jobs.submit("test.count", n=2)
    assert tenant_jobs.wait_for(after, "succeeded", timeout=30).result == {"total": 3, "attempt": 1}
    assert tenant_jobs.slots_used() == 0


def test_a_job_on_a_worker_running_past_its_maximum_run_time_is_failed_with_that_reason(
    jobs, db, tenant_jobs, settings, start_maestro, tmp_path: Path
):
    settings.job_max_run_seconds = {"test.stubborn": 1.0}
    jobs.start(db)
    start_maestro(settings, "worker", "--concurrency", "1")
    started = tmp_path / "started"
    job_id = tenant_jobs.submit("test.stubborn", started=str(started))
    started_pid(started, timeout=30)

    failed = tenant_jobs.wait_for(job_id, "failed", timeout=10)

    assert failed.error == "exceeded the maximum run time of 1 s for test.stubborn jobs"
    assert failed.attempts == 1
    after = tenant_jobs.submit("test.count", n=2)  # the worker replaced its process
    assert tenant_jobs.wait_for(after, "succeeded", timeout=30).result == {"total": 3, "attempt": 1}
    assert tenant_jobs.slots_used() == 0
