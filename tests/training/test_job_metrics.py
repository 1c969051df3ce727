"""Metrics of job work are counted exactly once on the API's /metrics, whoever runs the job.

- Several API replicas drain one outbox: each sample is recorded by exactly one of them.
- `maestro serve --workers 2` (multiprocess metrics): the local pool's processes write their
  own metric files, so their samples are recorded there and not a second time from the outbox.
"""

import threading
from pathlib import Path

from maestro.client import MaestroClient
from maestro.db.models import Job, JobMetricEvent
from maestro.db.session import Database
from maestro.observability import metrics
from maestro.services.job_metrics import JobMetrics, MetricsRelay
from maestro.services.principal import Principal
from tests.conftest import ADMIN_KEY
from tests.ml.conftest import make_dataset
from tests.support.metrics import scrape, value
from tests.support.processes import maestro_env, maestro_serve
from tests.training.conftest import csv_bytes, upload, wait_for_metric


def _terminal_job(db: Database, principal: Principal, status: str) -> str:
    from maestro.db.base import utcnow

    with db.session() as session:
        job = Job(
            tenant_id=principal.tenant_id,
            kind="training",
            status=status,
            payload={"algorithm": "ridge"},
            attempts=1,
            max_attempts=1,
            cancel_requested=False,
            holds_concurrency_slot=False,
            started_at=utcnow(),
            finished_at=utcnow(),
        )
        session.add(job)
        session.flush()
        return job.id


def test_replicas_draining_one_outbox_record_each_sample_once(db: Database, principal: Principal):
    slug = principal.tenant_slug
    labels = {"tenant_id": slug, "operation": "profile", "status": "success"}
    counter = metrics.FEATURE_DISCOVERY_OPERATIONS.labels(**labels)
    duration = metrics.TRAINING_DURATION.labels(algorithm="ridge", status="failed")
    before, before_count = counter._value.get(), _count(duration)
    writer = JobMetrics(db, principal.tenant_id, "job-1", direct=False)
    for _ in range(300):
        writer.record("maestro_feature_discovery_operations_total", labels)
    for _ in range(20):
        _terminal_job(db, principal, "failed")

    def observe(job) -> None:
        metrics.TRAINING_DURATION.labels(algorithm="ridge", status=job.status).observe(
            job.duration_seconds
        )

    replicas = [MetricsRelay(db, {"training": observe}) for _ in range(4)]
    recorded = [0] * len(replicas)

    def drain(i: int) -> None:
        for _ in range(5):
            recorded[i] += replicas[i].run_once()

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(len(replicas))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(recorded) == 320
    assert counter._value.get() - before == 300
    assert _count(duration) - before_count == 20
    with db.session() as session:
        assert session.query(JobMetricEvent).count() == 0
    assert sum(r.run_once() for r in replicas) == 0  # nothing is counted twice later either


def test_an_outbox_row_with_a_label_the_metric_no_longer_has_still_counts(
    db: Database, principal: Principal
):
    # Workers of the previous release labelled model sizes with the tenant; the label was dropped
    # (no panel used it). Their rows still in the outbox at upgrade are counted, without it.
    before_count, before_sum = _count(metrics.MODEL_SIZE_BYTES), _sum(metrics.MODEL_SIZE_BYTES)
    old_worker = JobMetrics(db, principal.tenant_id, "job-old", direct=False)
    old_worker.record("maestro_ml_model_size_bytes", {"tenant_id": principal.tenant_slug}, 4096)

    assert MetricsRelay(db, {}).run_once() == 1

    assert _count(metrics.MODEL_SIZE_BYTES) == before_count + 1
    assert _sum(metrics.MODEL_SIZE_BYTES) == before_sum + 4096


def _sum(histogram) -> float:
    return next(s.value for m in histogram.collect() for s in m.samples if s.name.endswith("_sum"))


def _count(histogram) -> float:
    return next(
        s.value for m in histogram.collect() for s in m.samples if s.name.endswith("_count")
    )


def test_multiprocess_server_counts_pool_process_metrics_once(tmp_path: Path):
    data = tmp_path / "data"
    env = maestro_env(data, MAESTRO_BOOTSTRAP_ADMIN_KEY=ADMIN_KEY, MAESTRO_JOB_POOL_SIZE="1")
    with maestro_serve(data, "--workers", "2", env=env) as api:
        with MaestroClient(api.url, api_key=ADMIN_KEY) as admin:
            admin.create_tenant("multi", "Multi")
            user = admin.create_user("multi", "owner", "owner")
            key = admin.create_api_key(user["id"], "test")["key"]
        with MaestroClient(api.url, api_key=key) as owner:
            dataset_id = upload(owner, csv_bytes(make_dataset(rows=300, seed=5)), "multi")
            job = owner.discover_features(dataset_id, target="churned")
            assert owner.wait_for_feature_discovery(job["id"], timeout=90)["status"] == "succeeded"
        labels = {"tenant_id": "multi", "operation": "generate", "status": "success"}
        wait_for_metric(api.url, "maestro_feature_discovery_operations_total", 1, **labels)
        wait_for_metric(
            api.url, "maestro_feature_discovery_duration_seconds_count", 1, operation="generate"
        )
        samples = scrape(api.url)
        assert value(samples, "maestro_feature_discovery_operations_total", **labels) == 1
        count = "maestro_feature_discovery_duration_seconds_count"
        assert value(samples, count, operation="generate") == 1
