"""Fixtures of the ML job areas (training, discovery, cards): short leases, data, polling.

Leases and heartbeats are short, as in the job system's own tests, so a cancel or a lost worker
shows within seconds. Data comes from the ML tests' generator (`tests.ml.conftest`).
"""

from typing import Any

import polars as pl
import pytest

from maestro.client import MaestroClient
from maestro.settings import Settings
from tests.jobs.conftest import HEARTBEAT_SECONDS, LEASE_SECONDS

# The job system's fixtures: a worker process, a migrated database, tenant principals.
from tests.jobs.conftest import db as db
from tests.jobs.conftest import make_principal as make_principal
from tests.jobs.conftest import principal as principal
from tests.jobs.conftest import start_maestro as start_maestro
from tests.jobs.conftest import wait_until as poll
from tests.ml.conftest import make_dataset
from tests.support.metrics import scrape, value

JOB_SETTINGS: dict[str, Any] = {
    "job_lease_seconds": LEASE_SECONDS,
    "job_heartbeat_seconds": HEARTBEAT_SECONDS,
    "job_poll_seconds": 0.1,
    "job_pool_size": 2,
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update=JOB_SETTINGS)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode()


@pytest.fixture(scope="session")
def churn_csv() -> bytes:
    """About 5,000 rows: mixed types, missing values, an identifier and a leaky column."""
    return csv_bytes(make_dataset())


@pytest.fixture(scope="session")
def small_csv() -> bytes:
    """A cheap dataset for the error cases (same structure, 300 rows)."""
    return csv_bytes(make_dataset(rows=300, seed=3))


def upload(client: MaestroClient, data: bytes, name: str = "churn") -> str:
    return client.upload_dataset(data, name, filename=f"{name}.csv")["id"]


def wait_for_metric(
    url: str, name: str, minimum: float, timeout: float = 15.0, **labels: str
) -> float:
    """The metric's value once it reached `minimum` on the server's /metrics."""
    return poll(
        lambda: (v := value(scrape(url), name, **labels)) >= minimum and v,
        timeout,
        f"{name}{labels} >= {minimum}",
    )
