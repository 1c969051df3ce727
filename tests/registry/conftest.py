"""Registry fixtures: a trained skops pipeline, hostile pickles, and views of the store and DB."""

import io
import pickle
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import joblib
import numpy as np
import polars as pl
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sqlalchemy import func, select

from maestro.db.models import ModelDeployment, ModelVersion, QuotaUsage, RegisteredModel, Tenant
from maestro.db.session import Database
from maestro.ml.serialization import dump_model
from maestro.settings import Settings

# Tests that must hold on both artifact stores are marked with this; the rest use local files.
both_stores = pytest.mark.parametrize("artifact_backend", ["local", "s3"], indirect=True)


@pytest.fixture
def artifact_backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "local")


@dataclass(frozen=True)
class TrainedPipeline:
    model: Pipeline
    artifact: bytes
    rows: list[dict[str, Any]]


@pytest.fixture(scope="session")
def trained() -> TrainedPipeline:
    """A scaler + one-hot + logistic regression pipeline, fitted on a polars frame."""
    rng = np.random.default_rng(7)
    n = 300
    frame = pl.DataFrame(
        {
            "age": rng.normal(40, 12, n),
            "income": rng.normal(50_000, 15_000, n),
            "plan": rng.choice(["basic", "plus", "pro"], n),
        }
    )
    target = ((frame["age"] > 40) ^ (frame["plan"] == "pro")).to_numpy().astype(int)
    pipeline = Pipeline(
        [
            (
                "prepare",
                ColumnTransformer(
                    [
                        ("numeric", StandardScaler(), ["age", "income"]),
                        ("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
                    ]
                ),
            ),
            ("classify", LogisticRegression(max_iter=500)),
        ]
    )
    pipeline.fit(frame, target)
    rows = frame.head(25).to_dicts()
    return TrainedPipeline(model=pipeline, artifact=dump_model(pipeline), rows=rows)


class _TouchOnLoad:
    """Unpickling this calls open(path, "w"): the marker file proves code ran on load."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def touch_on_load(marker: Path) -> bytes:
    return pickle.dumps(_TouchOnLoad(marker), protocol=pickle.HIGHEST_PROTOCOL)


@dataclass(frozen=True)
class HostilePayloads:
    marker: Path
    pickle: bytes
    joblib: bytes


@pytest.fixture
def hostile(tmp_path: Path) -> HostilePayloads:
    """A pickle and a (compressed) joblib file that would create `marker` if ever loaded."""
    marker = tmp_path / "unpickled.marker"
    buffer = io.BytesIO()
    joblib.dump(_TouchOnLoad(marker), buffer, compress=("zlib", 3))
    return HostilePayloads(
        marker=marker,
        pickle=touch_on_load(marker),
        joblib=buffer.getvalue(),
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """A direct connection to the server's database, to check what the API reports."""
    db = Database(settings.resolved_database_url)
    yield db
    db.dispose()


@dataclass(frozen=True)
class DbFacts:
    models: int
    storage_bytes: int
    deployments: int
    versions: int


@pytest.fixture
def db_facts(database: Database) -> Callable[[str], DbFacts]:
    """What the registry tables hold for a tenant (by slug), counted from the rows themselves."""

    def read(slug: str) -> DbFacts:
        with database.session() as session:
            tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
            count = func.count()
            return DbFacts(
                models=session.scalar(select(count).where(RegisteredModel.tenant_id == tenant_id)),
                storage_bytes=int(  # PostgreSQL sums to Decimal
                    session.scalar(
                        select(func.coalesce(func.sum(ModelVersion.size_bytes), 0)).where(
                            ModelVersion.tenant_id == tenant_id
                        )
                    )
                ),
                deployments=session.scalar(
                    select(count).where(ModelDeployment.tenant_id == tenant_id)
                ),
                versions=session.scalar(select(count).where(ModelVersion.tenant_id == tenant_id)),
            )

    return read


@pytest.fixture
def quota_used(database: Database) -> Callable[[str, str], int]:
    def read(slug: str, resource: str) -> int:
        with database.session() as session:
            return session.scalar(
                select(QuotaUsage.used)
                .join(Tenant, Tenant.id == QuotaUsage.tenant_id)
                .where(Tenant.slug == slug, QuotaUsage.resource_type == resource)
            )

    return read


@pytest.fixture
def stored_objects(settings: Settings) -> Callable[[], list[str]]:
    """Every object physically in the artifact store (files, S3 objects, pending uploads)."""
    uri = settings.resolved_artifact_uri

    def list_local() -> list[str]:
        root = Path(uri.removeprefix("file://"))
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def list_s3() -> list[str]:
        bucket = uri.removeprefix("s3://").split("/", 1)[0]
        client = boto3.client("s3", endpoint_url=settings.s3_endpoint_url)
        objects = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        return sorted([o["Key"] for o in objects] + [f"upload:{u['Key']}" for u in uploads])

    return list_s3 if uri.startswith("s3://") else list_local


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """/metrics as {(sample name, sorted labels): value}."""
    import httpx

    text = httpx.get(f"{url}/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def metric(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def unique_tenant(make_tenant: Callable[..., Any]) -> Callable[..., Any]:
    """A tenant whose slug no other test uses, so process-wide counters start at zero for it."""

    def factory(**kwargs: Any) -> Any:
        return make_tenant(f"reg-{uuid.uuid4().hex[:10]}", **kwargs)

    return factory
