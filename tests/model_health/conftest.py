"""Model-health fixtures: generated data with known structure, fast flushes, job settings.

The prediction log flushes every 50 ms so feedback and drift see predictions at once; the
drift schedule is off unless a test turns it on, so a run happens only when a test asks.
"""

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import polars as pl
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from maestro.client import MaestroClient
from maestro.db.session import Database
from maestro.settings import Settings
from tests.jobs.conftest import start_maestro as start_maestro
from tests.training.conftest import JOB_SETTINGS

FEATURES = ("f0", "f1", "f2", "f3", "f4", "segment")
SHIFTED = ("f1", "segment")

HEALTH_SETTINGS: dict[str, Any] = {
    **JOB_SETTINGS,
    "prediction_log_flush_seconds": 0.05,
    # These tests count on every sampled request being logged; the budget has its own test.
    "prediction_log_max_rows_per_second": 1_000_000.0,
    "drift_interval_seconds": 0.0,
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update=HEALTH_SETTINGS)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """The server's database, for what only the database shows (log rows, their sizes)."""
    database = Database(settings.resolved_database_url)
    yield database
    database.dispose()


def generated(rows: int, seed: int, *, shifted: bool = False) -> pl.DataFrame:
    """Five numeric features and one categorical; `y` depends on f0, f1 and segment.

    `shifted` moves f1 by one standard deviation and turns the segment mix around, and leaves
    every other feature's distribution as it was.
    """
    rng = np.random.default_rng(seed)
    numeric = {f"f{i}": rng.normal(0.0, 1.0, rows) for i in range(5)}
    if shifted:
        numeric["f1"] = numeric["f1"] + 1.0
    mix = [0.2, 0.3, 0.5] if shifted else [0.6, 0.3, 0.1]
    segment = rng.choice(["a", "b", "c"], rows, p=mix)
    effect = np.select([segment == "a", segment == "b"], [-1.0, 0.0], 1.0)
    logit = 2.0 * numeric["f0"] - 1.5 * numeric["f1"] + effect
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pl.DataFrame({**numeric, "segment": segment, "y": y})


def instances(data: pl.DataFrame) -> list[dict[str, Any]]:
    return data.select(FEATURES).to_dicts()


@pytest.fixture
def trained_model(owner: MaestroClient) -> Iterator[dict[str, Any]]:
    """A logistic regression trained by a Maestro training job on 3,000 rows, deployed."""
    data = generated(3_000, seed=1)
    dataset = owner.upload_dataset(data.write_csv().encode(), "reference", filename="ref.csv")
    job = owner.train(
        dataset["id"], "y", "logistic_regression", task="classification", register_as="scorer"
    )
    done = owner.wait_for_training_job(job["id"], timeout=180)
    assert done["status"] == "succeeded", done["error"]
    owner.deploy("scorer", done["model_version"])
    yield {"name": "scorer", "dataset_id": dataset["id"], "version": done["model_version"]}


@pytest.fixture(scope="session")
def positional_artifact() -> bytes:
    """A logistic regression on two unnamed features, fitted here: deploys without a job."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 2))
    model = LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))
    return sio.dumps(model)


@pytest.fixture
def deploy_positional(positional_artifact: bytes) -> Callable[[MaestroClient, str], None]:
    """Deploy the positional model under `name` in the client's tenant (version 1)."""

    def deploy(client: MaestroClient, name: str) -> None:
        client.create_model(name)
        client.upload_version(name, positional_artifact, "skops")
        client.deploy(name, 1)

    return deploy
