"""Executor `celery`: a real `maestro worker` runs the drift job and the API serves its result."""

import pytest

from maestro.settings import Settings
from tests.model_health.conftest import generated, instances

# PostgreSQL and a private Celery queue on the test Redis, as the training jobs' Celery test.
from tests.training.test_celery import database_url as database_url
from tests.training.test_celery import settings as settings


@pytest.fixture
def worker(settings: Settings, start_maestro):
    return start_maestro(settings, "worker", "--concurrency", "1")


def test_a_celery_worker_computes_drift_for_a_deployed_model(server, worker, owner, trained_model):
    owner.predict("scorer", instances(generated(400, seed=3, shifted=True)))
    job = owner.run_drift("scorer")
    run = owner.wait_for_drift_run("scorer", job["id"], timeout=120)
    assert run["status"] == "completed", (run, worker.log()[-3000:])
    assert sorted(run["drifted"]) == ["f1", "segment"]
