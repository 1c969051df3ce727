"""Scale-out fault test: replicas and workers killed mid-flight leave S3 and the registry exact.

Two API replicas and a Celery worker on PostgreSQL, Redis and an S3-compatible server (moto).
One replica is killed with SIGKILL during concurrent uploads; the worker is killed right after a
training job registered its model (held there by a row lock on the job's experiment, which the
job needs next). After a restart and one sweep, S3 holds exactly the objects the database
references, every acknowledged upload is there, and the job's model has exactly one version.
"""

import os
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from kombu import Connection
from sqlalchemy import create_engine, select, text

from maestro.client import MaestroClient
from maestro.db.models import Dataset, Experiment, ModelVersion, RegisteredModel
from tests.conftest import ADMIN_KEY
from tests.jobs.conftest import REPO_ROOT, wait_until
from tests.recovery.conftest import training_csv
from tests.support.databases import reset_postgres
from tests.support.pids import group_members
from tests.support.processes import MAESTRO, maestro_env, maestro_serve

pytestmark = pytest.mark.slow

BROKER_URL = os.environ.get("MAESTRO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
UPLOAD_BYTES = 10 * 1024 * 1024  # above the 8 MiB multipart threshold
UPLOADS = 6


@pytest.fixture
def cluster_env(tmp_path: Path, postgres_url: str, s3_endpoint: str) -> Iterator[dict[str, str]]:
    reset_postgres(postgres_url)
    bucket = f"maestro-scale-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    queue = f"maestro-test-scale-{uuid.uuid4().hex}"
    yield maestro_env(
        tmp_path / "data",
        PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        MAESTRO_DATABASE_URL=postgres_url,
        MAESTRO_ARTIFACT_URI=f"s3://{bucket}/artifacts",
        MAESTRO_S3_ENDPOINT_URL=s3_endpoint,
        MAESTRO_EXECUTOR="celery",
        MAESTRO_BROKER_URL=BROKER_URL,
        MAESTRO_CELERY_QUEUE=queue,
        MAESTRO_BOOTSTRAP_ADMIN_KEY=ADMIN_KEY,
        MAESTRO_JOB_LEASE_SECONDS="2",
        MAESTRO_JOB_HEARTBEAT_SECONDS="0.25",
        MAESTRO_ORPHAN_GRACE_SECONDS="1",
        MAESTRO_ORPHAN_SWEEP_INTERVAL_SECONDS="0",  # start-up only: uploads run meanwhile
        MAESTRO_RATE_LIMIT_REQUESTS_PER_MINUTE="100000",
        MAESTRO_RATE_LIMIT_BURST="10000",
        MAESTRO_MAX_UPLOAD_BYTES=str(64 * 1024 * 1024),
        MAESTRO_BUCKET=bucket,  # read by this test only
    )
    with Connection(BROKER_URL) as connection:
        connection.default_channel.queue_delete(queue)


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [*MAESTRO, "worker", "--concurrency", "1"],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    wait_until(lambda: not group_members(process.pid), 15, f"group {process.pid} to exit")


def _s3_state(env: dict[str, str]) -> tuple[set[str], int]:
    """Object keys under the artifact prefix, and unfinished multipart uploads."""
    client = boto3.client("s3", endpoint_url=env["MAESTRO_S3_ENDPOINT_URL"])
    bucket = env["MAESTRO_BUCKET"]
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="artifacts/")
    keys = {o["Key"].removeprefix("artifacts/") for p in pages for o in p.get("Contents", [])}
    uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return keys, len(uploads)


def _unfinished_keys(env: dict[str, str]) -> list[str]:
    """The keys (artifact prefix removed) of the multipart uploads in flight."""
    client = boto3.client("s3", endpoint_url=env["MAESTRO_S3_ENDPOINT_URL"])
    uploads = client.list_multipart_uploads(Bucket=env["MAESTRO_BUCKET"]).get("Uploads", [])
    return [u["Key"].removeprefix("artifacts/") for u in uploads]


def test_killed_replica_and_worker_leave_s3_matching_the_database_and_one_version(
    cluster_env: dict[str, str], tmp_path: Path
):
    env = cluster_env
    data_dir = tmp_path / "data"
    engine = create_engine(env["MAESTRO_DATABASE_URL"])
    with maestro_serve(data_dir, env=env) as replica_a, maestro_serve(data_dir, env=env) as b:
        worker = _worker(env, tmp_path / "worker-1.log")
        with MaestroClient(b.url, api_key=ADMIN_KEY) as admin:
            admin.create_tenant("scale", "Scale")
            user = admin.create_user("scale", "owner", "owner")
            key = admin.create_api_key(user["id"], "k")["key"]
            # Replica A's uploads come from their own tenant, so their S3 keys say whose they are.
            tenant_a = admin.create_tenant("scale-a", "Scale A")
            user_a = admin.create_user("scale-a", "owner", "owner")
            key_a = admin.create_api_key(user_a["id"], "k")["key"]
        owner_b = MaestroClient(b.url, api_key=key)
        owner_a = MaestroClient(b.url, api_key=key_a)
        csv = training_csv(2_000, 3, seed=4)
        dataset = owner_b.upload_dataset(csv, "train", filename="train.csv")

        # Concurrent uploads to both replicas; replica A dies while its uploads stream.
        payload = tmp_path / "artifact.bin"
        payload.write_bytes(os.urandom(UPLOAD_BYTES))
        acknowledged: list[tuple[str, int]] = []
        lock = threading.Lock()

        def upload(index: int) -> None:
            url, upload_key = (replica_a.url, key_a) if index % 2 == 0 else (b.url, key)
            with MaestroClient(url, api_key=upload_key, timeout=120) as client:
                try:
                    version = client.upload_version(f"m{index}", payload, format="other")
                except httpx.HTTPError:
                    return  # replica A died under it: not acknowledged, must leave nothing
            with lock:
                acknowledged.append((f"m{index}", version["version"]))

        for index in range(UPLOADS):
            (owner_a if index % 2 == 0 else owner_b).create_model(f"m{index}")
        owner_a.close()
        threads = [threading.Thread(target=upload, args=(i,)) for i in range(UPLOADS)]
        for thread in threads:
            thread.start()
        # Kill replica A while one of its own uploads is being written to S3 (B's do not count:
        # A may still be reading its request bodies, and then its crash leaves nothing in S3).
        a_prefix = f"tenants/{tenant_a['id']}/"
        wait_until(
            lambda: any(k.startswith(a_prefix) for k in _unfinished_keys(env)),
            60,
            "one of replica A's multipart uploads to be in flight",
        )
        _kill_group(replica_a.process)
        for thread in threads:
            thread.join(120)
        assert len(acknowledged) >= UPLOADS // 2  # replica B's uploads all succeeded
        assert len(acknowledged) < UPLOADS  # some of replica A's were cut off
        # The crash left debris for the sweep: unfinished multipart uploads, or objects whose
        # upload completed in S3 but whose version row was never committed (either can happen).
        keys, unfinished = _s3_state(env)
        assert unfinished > 0 or keys - _referenced_keys(engine), (keys, unfinished)

        # A training job, held right after registering its model; then its worker dies.
        job = owner_b.train(dataset["id"], "y", "logistic_regression", register_as="trained")
        experiment_id = wait_until(
            lambda: _job_experiment(engine, job["id"]), 60, "the job's experiment"
        )
        with engine.connect() as blocker:
            blocker.execute(
                text("SELECT id FROM experiments WHERE id = :id FOR NO KEY UPDATE"),
                {"id": experiment_id},
            )
            wait_until(lambda: _job_versions(engine, job["id"]), 60, "the model's version")
            _kill_group(worker)
            blocker.rollback()

        with maestro_serve(data_dir, env=env):  # replica A comes back
            replacement = _worker(env, tmp_path / "worker-2.log")
            try:
                done = owner_b.wait_for_training_job(job["id"], timeout=90)
            finally:
                _kill_group(replacement)
        owner_b.close()

    sweep = subprocess.run(
        [*MAESTRO, "sweep", "--grace-seconds", "0"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert (done["status"], done["attempts"]) == ("succeeded", 2), done
    referenced = _referenced_keys(engine)
    with engine.connect() as connection:
        stored_versions = set(
            connection.execute(
                select(ModelVersion.source_job_id, ModelVersion.version).where(
                    ModelVersion.source_job_id == job["id"]
                )
            ).all()
        )
    engine.dispose()
    keys, unfinished = _s3_state(env)
    assert (keys, unfinished) == (referenced, 0), sweep.stdout.decode()
    assert stored_versions == {(job["id"], 1)}  # registered once, found by the retry
    assert done["model_version"] == 1
    assert _acknowledged_versions(engine, acknowledged) <= keys  # no acknowledged write lost


def _referenced_keys(engine) -> set[str]:
    with engine.connect() as connection:
        return {
            *connection.scalars(select(Dataset.storage_key)),
            *connection.scalars(select(ModelVersion.storage_key)),
        }


def _job_experiment(engine, job_id: str) -> str | None:
    with engine.connect() as connection:
        return connection.scalar(
            select(Experiment.id).where(Experiment.tags["training_job_id"].as_string() == job_id)
        )


def _job_versions(engine, job_id: str) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.scalars(
                select(ModelVersion.version).where(ModelVersion.source_job_id == job_id)
            )
        )


def _acknowledged_versions(engine, acknowledged: list[tuple[str, int]]) -> set[str]:
    """The storage keys of the uploads that got a 201 (each must still have its row)."""
    keys = set()
    with engine.connect() as connection:
        for name, version in acknowledged:
            key = connection.scalar(
                select(ModelVersion.storage_key)
                .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
                .where(RegisteredModel.name == name, ModelVersion.version == version)
            )
            assert key is not None, f"acknowledged upload {name} v{version} has no row"
            keys.add(key)
    engine.dispose()
    return keys
