"""Cancelling a running training job stops it within seconds and frees its slot and worker."""

import numpy as np
import polars as pl

from maestro.client import MaestroClient
from tests.support.live_server import LiveServer
from tests.support.metrics import scrape, value
from tests.training.conftest import csv_bytes, poll, upload, wait_for_metric


def test_cancelling_a_running_training_job_makes_it_cancelled_within_seconds(
    server: LiveServer, tenant, owner: MaestroClient
):
    duration = "maestro_ml_training_duration_seconds_count"
    cancelled_forests = {"algorithm": "random_forest", "status": "cancelled"}  # every tenant's
    before = value(scrape(server.url), duration, **cancelled_forests)
    rng = np.random.default_rng(2)
    n = 20_000
    x = rng.normal(size=(n, 5))
    frame = pl.DataFrame({f"x{i}": x[:, i] for i in range(5)}).with_columns(
        y=pl.Series((x.sum(axis=1) + rng.normal(size=n)) > 0)
    )
    dataset_id = upload(owner, csv_bytes(frame), "big")
    job = owner.train(
        dataset_id,
        "y",
        "random_forest",
        hyperparameters={"n_estimators": 2000, "max_depth": 8},
        register_as="slow",
    )
    poll(
        lambda: (
            (j := owner.get_training_job(job["id"]))["progress"] and j["progress"]["stage"] == "fit"
        ),
        60,
        "the job to be fitting",
    )

    owner.cancel_training_job(job["id"])

    cancelled = owner.wait_for_training_job(job["id"], timeout=10)
    assert cancelled["status"] == "cancelled"
    assert cancelled["model_version"] is None
    experiment = poll(
        lambda: [e for e in owner.list_experiments() if e["status"] != "running"],
        15,
        "the job's experiment to end",
    )
    assert experiment[0]["status"] == "cancelled"
    wait_for_metric(server.url, duration, before + 1, **cancelled_forests)
    # The slot is free: the next job runs.
    quick = owner.train(dataset_id, "y", "logistic_regression", register_as="quick")
    assert owner.wait_for_training_job(quick["id"], timeout=60)["status"] == "succeeded"
