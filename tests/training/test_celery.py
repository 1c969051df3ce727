"""Executor `celery`: a real `maestro worker` on the Redis at 127.0.0.1:6379 trains, discovers and
registers; what it records reaches the API's /metrics through the job metrics outbox."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from maestro.client import MaestroClient
from maestro.settings import Settings
from tests.jobs.test_celery import BROKER_URLS
from tests.support.live_server import LiveServer
from tests.support.metrics import scrape, value
from tests.training.conftest import upload, wait_for_metric


@pytest.fixture(params=["postgresql"])
def database_url(request: pytest.FixtureRequest, postgres_url: str) -> str:
    """Scale-out runs on PostgreSQL; the local-executor flow covers SQLite."""
    from tests.support.databases import reset_postgres

    reset_postgres(postgres_url)
    return postgres_url


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    queue = f"maestro-test-training-{uuid.uuid4().hex}"
    yield settings.model_copy(
        update={
            "executor": "celery",
            "broker_url": BROKER_URLS["redis"],
            "celery_queue": queue,
            "job_modules": ["maestro.jobs.kinds.training"],  # a harmless re-import
        }
    )
    client = redis.Redis.from_url(BROKER_URLS["redis"])
    client.delete(queue, f"_kombu.binding.{queue}")
    client.close()


def test_a_celery_worker_runs_discovery_and_training_and_its_metrics_reach_the_api(
    server: LiveServer, settings: Settings, start_maestro, tenant, owner: MaestroClient, churn_csv
):
    worker = start_maestro(settings, "worker", "--concurrency", "2")
    before = scrape(server.url)  # the histograms have no tenant label: compare with this
    dataset_id = upload(owner, churn_csv)
    discovery = owner.discover_features(dataset_id, target="churned")
    job = owner.train(
        dataset_id,
        "churned",
        "gradient_boosting",
        hyperparameters={"max_iter": 30},
        feature_columns=["age", "income", "plan", "signup", "noise_a"],
        register_as="churn-celery",
    )

    report = owner.wait_for_feature_discovery(discovery["id"], timeout=120)
    assert report["status"] == "succeeded", (report["error"], worker.log()[-3000:])
    assert "outcome_code" in {s["feature"] for s in report["report"]["leakage"]}
    done = owner.wait_for_training_job(job["id"], timeout=120)
    assert done["status"] == "succeeded", (done["error"], worker.log()[-3000:])
    assert done["model_version"] == 1 and done["metrics"]["roc_auc"] > 0.7
    owner.deploy("churn-celery", "1")
    predicted = owner.predict("churn-celery", [{"age": 40, "income": 30000.0, "plan": "basic"}])
    assert predicted["model_version"] == 1
    assert "Possible target leakage" in owner.get_card("churn-celery", 1, "markdown")

    slug = tenant.slug
    labels = {"tenant_id": slug, "operation": "leakage", "status": "success"}
    wait_for_metric(server.url, "maestro_feature_discovery_operations_total", 1, **labels)
    for status in ("started", "completed"):
        wait_for_metric(
            server.url, "maestro_ml_experiments_total", 1, tenant_id=slug, status=status
        )
    duration = "maestro_ml_training_duration_seconds_count"
    boosted = {"algorithm": "gradient_boosting", "status": "succeeded"}
    wait_for_metric(server.url, duration, value(before, duration, **boosted) + 1, **boosted)
    samples = scrape(server.url)
    registered = {"tenant_id": slug, "operation": "register_version", "status": "success"}
    assert value(samples, "maestro_ml_model_operations_total", **registered) == 1
    sizes = "maestro_ml_model_size_bytes_count"
    assert value(samples, sizes) == value(before, sizes) + 1
    assert value(samples, "maestro_ml_experiments_total", tenant_id=slug, status="started") == 1
