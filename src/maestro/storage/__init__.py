"""Artifact storage: where model artifacts and datasets live (local filesystem or S3)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from maestro.storage.base import (
    ArtifactNotFound,
    ArtifactStore,
    ArtifactTooLarge,
    InvalidArtifactKey,
    ListedObject,
    Reclaimed,
    StorageError,
    StoredObject,
    validate_key,
)
from maestro.storage.local import LocalArtifactStore
from maestro.storage.s3 import S3ArtifactStore

__all__ = [
    "ArtifactNotFound",
    "ArtifactStore",
    "ArtifactTooLarge",
    "InvalidArtifactKey",
    "ListedObject",
    "LocalArtifactStore",
    "Reclaimed",
    "S3ArtifactStore",
    "StorageError",
    "StoredObject",
    "artifact_store_from_uri",
    "validate_key",
]


def artifact_store_from_uri(uri: str, *, s3_endpoint_url: str | None = None) -> ArtifactStore:
    """Build the store named by `MAESTRO_ARTIFACT_URI`.

    `file:///abs/path` and `file://relative/path` (relative to the working directory) give a
    `LocalArtifactStore`; `s3://bucket/prefix` gives an `S3ArtifactStore`.
    """
    if uri.startswith("file://"):
        path = unquote(uri.removeprefix("file://"))
        if not path:
            raise ValueError(f"artifact URI has no path: {uri!r}")
        return LocalArtifactStore(Path(path))
    parts = urlsplit(uri)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"artifact URI has no bucket: {uri!r}")
        return S3ArtifactStore(parts.netloc, parts.path, endpoint_url=s3_endpoint_url)
    raise ValueError(f"unsupported artifact URI scheme (want file:// or s3://): {uri!r}")
