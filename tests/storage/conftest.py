from __future__ import annotations

import uuid
from collections.abc import Callable

import boto3
import pytest

from maestro.storage import ArtifactStore, LocalArtifactStore, S3ArtifactStore


@pytest.fixture
def s3_client(s3_endpoint: str):
    return boto3.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def s3_bucket(s3_client) -> str:
    bucket = f"maestro-test-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path) -> ArtifactStore:
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "artifacts")
    client = request.getfixturevalue("s3_client")
    bucket = request.getfixturevalue("s3_bucket")
    return S3ArtifactStore(bucket, "artifacts", client=client)


@pytest.fixture
def stored_names() -> Callable[[ArtifactStore], list[str]]:
    return _stored_names


def _stored_names(store: ArtifactStore) -> list[str]:
    """Everything physically present in the backend: files, objects and pending uploads."""
    if isinstance(store, LocalArtifactStore):
        return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file())
    assert isinstance(store, S3ArtifactStore)
    client = store._client
    objects = client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
    uploads = client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    return sorted([o["Key"] for o in objects] + [f"upload:{u['Key']}" for u in uploads])
