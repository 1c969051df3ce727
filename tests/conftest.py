"""Fixtures shared by every test: databases on both backends, a live server, clients, tenants."""

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from maestro.api.app import create_app
from maestro.client import MaestroClient
from maestro.settings import QuotaDefaults, Settings
from tests.support.databases import private_postgres_database, reset_postgres
from tests.support.live_server import LiveServer, start_server

ADMIN_KEY = "mst_test-admin-key-0123456789abcdefghijklmnop"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with private_postgres_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every database-touching test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'maestro.db'}"
    url = request.getfixturevalue("postgres_url")
    reset_postgres(url)
    return url


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    """Generous rate limits by default; tests of the limiter set their own."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "bootstrap_admin_key": SecretStr(ADMIN_KEY),
        "rate_limit_requests_per_minute": 1_000_000,
        "rate_limit_burst": 100_000,
        "anonymous_rate_limit_requests_per_minute": 1_000_000,
        "anonymous_rate_limit_burst": 100_000,
        "metrics_cache_seconds": 0.0,
        "quotas": QuotaDefaults(),
        # Most tests never predict: their serving processes start on first use, not with the app.
        "serving_warm_on_start": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-protocol server (moto) on a free loopback port, with dummy credentials."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.delenv("AWS_PROFILE", raising=False)
        mp.delenv("AWS_SESSION_TOKEN", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
def artifact_backend() -> str:
    """Local files by default; a test package overrides this with params=["local", "s3"]."""
    return "local"


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str, artifact_backend: str
) -> Settings:
    if artifact_backend == "local":
        return make_settings(tmp_path, database_url)
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"maestro-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    return make_settings(
        tmp_path, database_url, artifact_uri=f"s3://{bucket}/artifacts", s3_endpoint_url=endpoint
    )


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    live = start_server(create_app(settings))
    yield live
    live.stop()


@pytest.fixture
def admin(server: LiveServer) -> Iterator[MaestroClient]:
    with MaestroClient(server.url, api_key=ADMIN_KEY) as client:
        yield client


@dataclass
class TenantHandle:
    slug: str
    owner_id: str
    owner_key: str
    url: str

    def client(self, key: str | None = None) -> MaestroClient:
        return MaestroClient(self.url, api_key=key or self.owner_key)


_slugs = itertools.count(1)


@pytest.fixture
def make_tenant(server: LiveServer, admin: MaestroClient) -> Callable[..., TenantHandle]:
    """Create a tenant with an owner and the owner's key; pass quotas/rate_limit to override."""

    def factory(
        slug: str | None = None,
        *,
        quotas: dict[str, int | None] | None = None,
        rate_limit: dict[str, int] | None = None,
    ) -> TenantHandle:
        slug = slug or f"tenant-{next(_slugs)}"
        admin.create_tenant(slug, slug.title(), quotas=quotas, rate_limit=rate_limit)
        owner = admin.create_user(slug, "owner", "owner")
        key = admin.create_api_key(owner["id"], "test")["key"]
        return TenantHandle(slug=slug, owner_id=owner["id"], owner_key=key, url=server.url)

    return factory


@pytest.fixture
def tenant(make_tenant: Callable[..., TenantHandle]) -> TenantHandle:
    return make_tenant()


@pytest.fixture
def owner(tenant: TenantHandle) -> Iterator[MaestroClient]:
    with tenant.client() as client:
        yield client
