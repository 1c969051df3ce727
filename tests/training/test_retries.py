"""A retried training job has its effects once: one version, and honest experiment statuses.

The worker process running the job is killed for real (SIGKILL), at two moments: while fitting,
and right after the version is registered (held there by a row lock on the experiment, which the
job needs next). The executor retries the job in a fresh process.
"""

import os
import signal
from typing import Any

import numpy as np
import polars as pl
import pytest
from sqlalchemy import select, text

from maestro.client import MaestroClient
from maestro.db.models import Experiment, ModelVersion
from tests.support.live_server import LiveServer
from tests.training.conftest import csv_bytes, poll, upload


def _dataset(owner: MaestroClient) -> str:
    rng = np.random.default_rng(5)
    n = 4_000
    x = rng.normal(size=(n, 4))
    frame = pl.DataFrame({f"x{i}": x[:, i] for i in range(4)}).with_columns(
        y=pl.Series((x.sum(axis=1) + rng.normal(size=n)) > 0)
    )
    return upload(owner, csv_bytes(frame), "retry")


def _worker_pid(server: LiveServer, job_id: str) -> int:
    """The pool process running `job_id` in the server's local executor."""
    executor = server.app.state.ctx.jobs._executor

    def find() -> int | None:
        for slot in executor._slots:
            if slot.job is not None and slot.job.id == job_id and slot.pool is not None:
                return next(iter(slot.pool._processes), None)
        return None

    return poll(find, 30, f"the worker process of job {job_id}")


def _experiments(server: LiveServer, job_id: str) -> list[Experiment]:
    with server.app.state.ctx.db.session() as session:
        return list(
            session.scalars(
                select(Experiment).where(Experiment.tags["training_job_id"].as_string() == job_id)
            )
        )


def _versions(server: LiveServer, job_id: str) -> list[ModelVersion]:
    with server.app.state.ctx.db.session() as session:
        return list(
            session.scalars(select(ModelVersion).where(ModelVersion.source_job_id == job_id))
        )


def _stage(owner: MaestroClient, job_id: str) -> Any:
    progress = owner.get_training_job(job_id)["progress"]
    return progress and progress["stage"]


def test_a_job_killed_while_fitting_is_retried_and_its_first_experiment_marked_failed(
    server: LiveServer, tenant, owner: MaestroClient
):
    dataset_id = _dataset(owner)
    job = owner.train(
        dataset_id, "y", "random_forest", hyperparameters={"n_estimators": 150}, register_as="rf"
    )
    poll(lambda: _stage(owner, job["id"]) == "fit", 60, "the job to be fitting")

    os.kill(_worker_pid(server, job["id"]), signal.SIGKILL)

    done = owner.wait_for_training_job(job["id"], timeout=120)
    assert (done["status"], done["attempts"], done["model_version"]) == ("succeeded", 2, 1)
    statuses = {e.id: e.status for e in _experiments(server, job["id"])}
    assert sorted(statuses.values()) == ["completed", "failed"]
    assert statuses[done["experiment_id"]] == "completed"
    assert [v.version for v in _versions(server, job["id"])] == [1]
    assert len(owner.list_versions("rf")) == 1


def test_a_job_killed_after_registering_finds_its_version_instead_of_registering_again(
    server: LiveServer, tenant, owner: MaestroClient, database_url: str
):
    if database_url.startswith("sqlite"):
        pytest.skip("holding one row lock needs PostgreSQL (SQLite locks the whole database)")
    dataset_id = _dataset(owner)
    job = owner.train(dataset_id, "y", "logistic_regression", register_as="lr")
    (experiment,) = poll(lambda: _experiments(server, job["id"]), 60, "the job's experiment")
    with server.app.state.ctx.db.engine.connect() as blocker:
        # The job registers its version, then needs this row (metrics, finish): it waits there.
        blocker.execute(
            text("SELECT id FROM experiments WHERE id = :id FOR NO KEY UPDATE"),
            {"id": experiment.id},
        )
        poll(lambda: _versions(server, job["id"]), 60, "the version to be registered")
        os.kill(_worker_pid(server, job["id"]), signal.SIGKILL)
        blocker.rollback()

    done = owner.wait_for_training_job(job["id"], timeout=120)

    assert (done["status"], done["attempts"]) == ("succeeded", 2)
    assert [v.version for v in _versions(server, job["id"])] == [1]
    assert len(owner.list_versions("lr")) == 1
    assert done["model_version"] == 1
    assert done["experiment_id"] == experiment.id
    (finished,) = _experiments(server, job["id"])
    assert finished.status == "completed"
    assert owner.get_experiment(experiment.id)["latest_metrics"]  # logged by the retry
