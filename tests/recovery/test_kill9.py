"""`maestro serve` killed with SIGKILL mid-upload and mid-training leaves nothing behind.

One server is killed while a 200 MB dataset upload streams and a training job fits. Its job
worker and fork server must die with it; after a restart the orphan sweep removes the partial
upload and its scratch copy, the job is retried to completion, and the tenant's storage usage
equals the bytes on disk.
"""

import os
import signal
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from maestro.client import MaestroClient
from maestro.db.models import Dataset, ModelVersion
from tests.conftest import ADMIN_KEY
from tests.jobs.conftest import wait_until
from tests.recovery.conftest import training_csv
from tests.support.pids import group_members
from tests.support.processes import RunningServer, maestro_env, maestro_serve

pytestmark = pytest.mark.slow

BIG_UPLOAD_BYTES = 200 * 1024 * 1024
KILL_AFTER_BYTES = 40 * 1024 * 1024


def _env(tmp_path: Path) -> dict[str, str]:
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    return maestro_env(
        tmp_path / "data",
        TMPDIR=str(scratch),  # the server's scratch copies land where the test can see them
        MAESTRO_BOOTSTRAP_ADMIN_KEY=ADMIN_KEY,
        MAESTRO_JOB_LEASE_SECONDS="2",
        MAESTRO_JOB_HEARTBEAT_SECONDS="0.25",
        MAESTRO_JOB_POLL_SECONDS="0.1",
        MAESTRO_ORPHAN_GRACE_SECONDS="2",
        MAESTRO_ORPHAN_SWEEP_INTERVAL_SECONDS="1",
        MAESTRO_RATE_LIMIT_REQUESTS_PER_MINUTE="100000",
        MAESTRO_RATE_LIMIT_BURST="10000",
    )


def _big_csv(path: Path) -> Path:
    block = b"".join(f"{i},{i * 7 % 13},{i % 2}\n".encode() for i in range(50_000))
    with path.open("wb") as out:
        out.write(b"a,b,y\n")
        while out.tell() < BIG_UPLOAD_BYTES:
            out.write(block)
    return path


def _partial_bytes(artifacts: Path) -> int:
    return sum(p.stat().st_size for p in artifacts.rglob(".*.tmp") if p.is_file())


def _fitting(client: MaestroClient, job_id: str, server: RunningServer) -> bool:
    """True once the job fits; a job that ended before the kill makes the test meaningless."""
    job = client.get_training_job(job_id)
    assert job["status"] in ("queued", "running"), (
        f"the job ended before the kill: {job}\nserver log:\n{server.output()[-6000:]}"
    )
    return (job["progress"] or {}).get("stage") == "fit"


def _files(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*") if p.is_file()
    }


def test_a_serve_killed_mid_upload_and_mid_training_leaves_no_orphan_behind(tmp_path: Path):
    env = _env(tmp_path)
    data_dir, scratch = tmp_path / "data", tmp_path / "tmp"
    artifacts = data_dir / "artifacts"
    big = _big_csv(tmp_path / "big.csv")

    with maestro_serve(data_dir, env=env) as first:
        with MaestroClient(first.url, api_key=ADMIN_KEY) as admin:
            admin.create_tenant("acme", "Acme")
            user = admin.create_user("acme", "owner", "owner")
            key = admin.create_api_key(user["id"], "k")["key"]
        owner = MaestroClient(first.url, api_key=key)
        csv = training_csv(4_000, 4, seed=9)
        dataset = owner.upload_dataset(csv, "train", filename="train.csv")
        job = owner.train(
            dataset["id"],
            "y",
            "random_forest",
            hyperparameters={"n_estimators": 400, "max_depth": 8},  # slow, not too large
            register_as="rf",
        )
        wait_until(lambda: _fitting(owner, job["id"], first), 180, "the job to be fitting")
        failures: list[BaseException] = []

        def upload() -> None:
            try:
                owner.upload_dataset(big, "big")
            except (httpx.HTTPError, OSError) as exc:  # the server dies under it
                failures.append(exc)

        uploader = threading.Thread(target=upload, daemon=True)
        uploader.start()
        wait_until(lambda: _partial_bytes(artifacts) > KILL_AFTER_BYTES, 60, "the upload to stream")

        os.kill(first.process.pid, signal.SIGKILL)  # the server only: the rest must follow
        first.process.wait(timeout=10)
        uploader.join(30)
        owner.close()

        assert failures, "the upload should have been cut off"
        wait_until(
            lambda: not group_members(first.process.pid), 15, "every process of the server to exit"
        )
        assert _partial_bytes(artifacts) > 0  # the crash did leave something to clean up
        assert any(p.name.startswith("maestro-dataset-") for p in scratch.iterdir())

    with maestro_serve(data_dir, env=env) as second:
        owner = MaestroClient(second.url, api_key=key)
        done = owner.wait_for_training_job(job["id"], timeout=120)
        assert (done["status"], done["attempts"], done["model_version"]) == ("succeeded", 2, 1)
        wait_until(
            lambda: (
                _partial_bytes(artifacts) == 0
                and not any(p.name.startswith("maestro-dataset-") for p in scratch.iterdir())
            ),
            30,
            "the sweep to remove the partial upload and its scratch copy",
        )
        on_disk = _files(artifacts)
        engine = create_engine(env_database_url(data_dir))
        with engine.connect() as connection:
            referenced = {
                *connection.scalars(select(Dataset.storage_key)),
                *connection.scalars(select(ModelVersion.storage_key)),
            }
        engine.dispose()
        assert set(on_disk) == referenced  # no orphan, and no row without its file
        with MaestroClient(second.url, api_key=ADMIN_KEY) as admin:
            used = admin.usage("acme")["resources"]["storage_bytes"]["used"]
        assert used == sum(on_disk.values())
        assert [d["name"] for d in owner.list_datasets()] == ["train"]
        owner.close()
        pgid = second.process.pid
    wait_until(lambda: not group_members(pgid), 15, "the restarted server to exit cleanly")


def env_database_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'maestro.db').resolve()}"
