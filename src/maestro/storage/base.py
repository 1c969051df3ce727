"""Artifact store contract: the types, errors and key rules every backend shares."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

CHUNK_SIZE = 1024 * 1024
MAX_KEY_LENGTH = 1024

# A segment starts with an alphanumeric or underscore, so "." and ".." (and hidden temp files,
# which the local store names ".<name>.<random>.tmp") can never be addressed by a key.
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,254}")


class StorageError(Exception):
    """Base class for artifact store errors."""


class InvalidArtifactKey(StorageError, ValueError):
    """The key is not a safe relative path; rejected before any I/O."""


class ArtifactNotFound(StorageError):
    """No artifact is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"artifact not found: {key}")
        self.key = key


class ArtifactTooLarge(StorageError):
    """The source exceeded `max_bytes`; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"artifact exceeds the limit of {limit} bytes")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ListedObject:
    """One stored object as a listing sees it (for the orphan sweep)."""

    key: str
    size_bytes: int
    modified_at: datetime


@dataclass(frozen=True, slots=True)
class Reclaimed:
    """What removing leftovers gave back: how many and how many bytes."""

    count: int = 0
    size_bytes: int = 0

    def __add__(self, other: Reclaimed) -> Reclaimed:
        return Reclaimed(self.count + other.count, self.size_bytes + other.size_bytes)


class ArtifactStore(Protocol):
    """What the service layer needs from a blob store: streamed, size-limited, hashed writes."""

    def put(self, key: str, source: BinaryIO, max_bytes: int | None = None) -> StoredObject: ...

    def open(self, key: str) -> Iterator[bytes]:
        """Chunks of the artifact; raises `ArtifactNotFound` at call time, not on first read."""
        ...

    def read_bytes(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Remove the artifact; deleting a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        """Every complete object whose key starts with `prefix` (partial writes excluded)."""
        ...

    def remove_partials(self, older_than: datetime) -> Reclaimed:
        """Drop writes that never completed and were last touched before `older_than`.

        A local store's hidden temp files, an S3 bucket's unfinished multipart uploads: what a
        process killed mid-upload leaves behind, invisible to keys and to `list_objects`.
        """
        ...


def validate_key(key: str) -> str:
    """Return `key` if it is a relative, `/`-separated path of safe segments, else raise."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidArtifactKey(f"invalid artifact key: {key!r}")
    if not all(_SEGMENT.fullmatch(segment) for segment in key.split("/")):
        raise InvalidArtifactKey(f"invalid artifact key: {key!r}")
    return key


class Meter:
    """Counts and hashes bytes as they stream past, enforcing the size limit before storing."""

    def __init__(self, max_bytes: int | None) -> None:
        self.size = 0
        self._max_bytes = max_bytes
        self._sha256 = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._max_bytes is not None and self.size > self._max_bytes:
            raise ArtifactTooLarge(self._max_bytes)
        self._sha256.update(chunk)

    def result(self, key: str) -> StoredObject:
        return StoredObject(key=key, size_bytes=self.size, sha256=self._sha256.hexdigest())
