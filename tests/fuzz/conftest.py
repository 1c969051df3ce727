"""A real `maestro serve` per database backend, seeded with one of every resource to fuzz."""

import io
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

from maestro.client import MaestroClient
from maestro.ml.serialization import dump_model
from tests.conftest import ADMIN_KEY, BACKENDS
from tests.support.databases import private_postgres_database
from tests.support.processes import RunningServer, maestro_env, maestro_serve


@dataclass
class FuzzTarget:
    server: RunningServer
    owner_key: str
    admin_key: str = ADMIN_KEY


def _seed(url: str) -> str:
    """A tenant, its owner, and a model version, experiment, dataset and alias to find."""
    with MaestroClient(url, api_key=ADMIN_KEY) as admin:
        admin.create_tenant("acme", "Acme")
        owner = admin.create_user("acme", "owner", "owner")
        key = admin.create_api_key(owner["id"], "fuzz")["key"]
    with MaestroClient(url, api_key=key) as client:
        model = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0]], [0, 1])
        client.create_model("churn", tags={"team": "ml"})
        client.upload_version("churn", dump_model(model), "skops", {"framework": "sklearn"})
        client.set_alias("churn", "production", 1)
        experiment = client.create_experiment("baseline", params={"depth": 3})
        client.log_metrics(experiment["id"], [{"name": "loss", "value": 0.5, "step": 1}])
        csv = b"a,b,y\n" + b"".join(b"%d,%d,%d\n" % (i, i % 7, i % 2) for i in range(40))
        client.upload_dataset(io.BytesIO(csv), "customers", filename="customers.csv")
    return key


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzTarget]:
    data: Path = tmp_path_factory.mktemp(f"fuzz-{request.param}") / "data"
    extra = {
        "MAESTRO_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "MAESTRO_RATE_LIMIT_REQUESTS_PER_MINUTE": "1000000",
        "MAESTRO_RATE_LIMIT_BURST": "100000",
        "MAESTRO_ANONYMOUS_RATE_LIMIT_REQUESTS_PER_MINUTE": "1000000",
        "MAESTRO_ANONYMOUS_RATE_LIMIT_BURST": "100000",
    }
    with private_postgres_database() if request.param == "postgresql" else nullcontext(None) as url:
        if url:
            extra["MAESTRO_DATABASE_URL"] = url
        with maestro_serve(data, env=maestro_env(data, **extra)) as server:
            yield FuzzTarget(server=server, owner_key=_seed(server.url))
