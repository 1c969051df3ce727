"""A real `maestro serve` on loopback, tenants with keys, and the MLflow client pointed at it.

One server for the whole session (SQLite file): the MLflow client is under test, not start-up.
Every test makes its own tenants, so tests stay independent while sharing the process.
"""

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from maestro.client import MaestroClient
from tests.conftest import ADMIN_KEY
from tests.support.processes import RunningServer, maestro_env, maestro_serve

_slugs = itertools.count(1)


@pytest.fixture(scope="session")
def maestro(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("mlflow-maestro") / "data"
    env = maestro_env(
        data,
        MAESTRO_BOOTSTRAP_ADMIN_KEY=ADMIN_KEY,
        MAESTRO_RATE_LIMIT_REQUESTS_PER_MINUTE="1000000",
        MAESTRO_RATE_LIMIT_BURST="100000",
        MAESTRO_JOB_POOL_SIZE="1",
    )
    with maestro_serve(data, env=env) as server:
        yield server


@dataclass
class MlflowTenant:
    slug: str
    owner_id: str
    key: str
    url: str

    def maestro(self) -> MaestroClient:
        return MaestroClient(self.url, api_key=self.key)

    def key_for(self, role: str) -> str:
        with MaestroClient(self.url, api_key=ADMIN_KEY) as admin:
            user = admin.create_user(self.slug, f"{role}-{next(_slugs)}", role)
            return admin.create_api_key(user["id"], role)["key"]


@pytest.fixture
def make_mlflow_tenant(maestro: RunningServer) -> Callable[..., MlflowTenant]:
    def factory(
        quotas: dict[str, int | None] | None = None, rate_limit: dict[str, int] | None = None
    ) -> MlflowTenant:
        slug = f"ml-{next(_slugs)}"
        with MaestroClient(maestro.url, api_key=ADMIN_KEY) as admin:
            admin.create_tenant(slug, slug.title(), quotas=quotas, rate_limit=rate_limit)
            owner = admin.create_user(slug, "owner", "owner")
            key = admin.create_api_key(owner["id"], "mlflow")["key"]
        return MlflowTenant(slug=slug, owner_id=owner["id"], key=key, url=maestro.url)

    return factory


@pytest.fixture
def as_tenant(monkeypatch: pytest.MonkeyPatch) -> Callable[[MlflowTenant, str | None], object]:
    """Point the unmodified MLflow client at Maestro with a key: the two environment variables."""
    import mlflow

    @contextmanager
    def use(tenant: MlflowTenant, key: str | None = None) -> Iterator[None]:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", tenant.url)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", key or tenant.key)
        mlflow.set_tracking_uri(tenant.url)
        try:
            yield
        finally:
            if mlflow.active_run() is not None:
                mlflow.end_run()

    return use


@pytest.fixture(autouse=True)
def _mlflow_client_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fail fast instead of retrying for minutes, and keep the client's scratch files local."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
    monkeypatch.chdir(tmp_path)
