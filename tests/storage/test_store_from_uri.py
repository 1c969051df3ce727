from __future__ import annotations

import io

import pytest

from maestro.storage import LocalArtifactStore, S3ArtifactStore, artifact_store_from_uri


def test_file_uri_with_absolute_path(tmp_path):
    store = artifact_store_from_uri(f"file://{tmp_path}/artifacts")

    assert isinstance(store, LocalArtifactStore)
    assert store.root == tmp_path / "artifacts"


def test_file_uri_with_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    store = artifact_store_from_uri("file://maestro-data/artifacts")

    assert isinstance(store, LocalArtifactStore)
    assert store.root == tmp_path / "maestro-data" / "artifacts"


def test_s3_uri_uses_bucket_prefix_and_endpoint(s3_endpoint, s3_client, s3_bucket):
    store = artifact_store_from_uri(f"s3://{s3_bucket}/maestro/prod/", s3_endpoint_url=s3_endpoint)
    assert isinstance(store, S3ArtifactStore)

    store.put("a/b", io.BytesIO(b"hello"), max_bytes=None)

    body = s3_client.get_object(Bucket=s3_bucket, Key="maestro/prod/a/b")["Body"].read()
    assert body == b"hello"


@pytest.mark.parametrize("uri", ["file://", "s3:///prefix", "http://example.com/x", "/plain/path"])
def test_unsupported_uris_are_rejected(uri):
    with pytest.raises(ValueError):
        artifact_store_from_uri(uri)
