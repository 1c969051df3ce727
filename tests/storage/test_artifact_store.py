from __future__ import annotations

import hashlib
import io
import os

import pytest

from maestro.storage import (
    ArtifactNotFound,
    ArtifactTooLarge,
    InvalidArtifactKey,
    S3ArtifactStore,
    StoredObject,
)

KEY = "tenants/7f1c/models/9a2b/versions/3/artifact"


class OneWayStream:
    """A non-seekable source that hands out `data` in small, uneven reads, like a socket."""

    def __init__(self, data: bytes, max_read: int = 65_537) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._max_read = max_read

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self._data)
        end = min(self._pos + size, self._pos + self._max_read, len(self._data))
        chunk = bytes(self._data[self._pos : end])
        self._pos = end
        return chunk


def test_roundtrip_records_size_and_sha256(store):
    data = os.urandom(300_000)

    stored = store.put(KEY, io.BytesIO(data), max_bytes=1_000_000)

    assert stored == StoredObject(KEY, len(data), hashlib.sha256(data).hexdigest())
    assert store.exists(KEY)
    assert store.read_bytes(KEY) == data
    assert b"".join(store.open(KEY)) == data


def test_empty_source_is_stored(store):
    stored = store.put(KEY, io.BytesIO(b""), max_bytes=10)

    assert stored == StoredObject(KEY, 0, hashlib.sha256(b"").hexdigest())
    assert store.read_bytes(KEY) == b""


def test_exactly_at_limit_is_allowed(store):
    stored = store.put(KEY, io.BytesIO(b"x" * 100), max_bytes=100)

    assert stored.size_bytes == 100


def test_over_limit_raises_and_leaves_nothing(store, stored_names):
    with pytest.raises(ArtifactTooLarge) as excinfo:
        store.put(KEY, io.BytesIO(b"x" * 101), max_bytes=100)

    assert excinfo.value.limit == 100
    assert not store.exists(KEY)
    assert stored_names(store) == []


def test_over_limit_mid_multipart_stream_leaves_nothing(store, stored_names):
    source = OneWayStream(os.urandom(20 * 1024 * 1024))

    with pytest.raises(ArtifactTooLarge):
        store.put(KEY, source, max_bytes=12 * 1024 * 1024)

    assert not store.exists(KEY)
    assert stored_names(store) == []


def test_failed_overwrite_keeps_previous_artifact(store):
    store.put(KEY, io.BytesIO(b"v1"), max_bytes=None)

    with pytest.raises(ArtifactTooLarge):
        store.put(KEY, io.BytesIO(b"x" * 11), max_bytes=10)

    assert store.read_bytes(KEY) == b"v1"


def test_large_upload_streams_in_parts(store):
    data = os.urandom(20 * 1024 * 1024)

    stored = store.put(KEY, OneWayStream(data), max_bytes=None)

    assert stored.size_bytes == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    chunks = list(store.open(KEY))
    assert len(chunks) > 1
    assert b"".join(chunks) == data
    if isinstance(store, S3ArtifactStore):
        head = store._client.head_object(Bucket=store.bucket, Key=f"artifacts/{KEY}")
        assert head["ETag"].strip('"').endswith("-3")  # 8 + 8 + 4 MiB parts


def test_delete_is_idempotent(store, stored_names):
    store.put(KEY, io.BytesIO(b"data"), max_bytes=None)

    store.delete(KEY)
    store.delete(KEY)

    assert not store.exists(KEY)
    assert stored_names(store) == []


def test_missing_key_raises_not_found(store):
    with pytest.raises(ArtifactNotFound):
        store.open(KEY)
    with pytest.raises(ArtifactNotFound):
        store.read_bytes(KEY)
    assert not store.exists(KEY)


def test_directory_prefix_is_not_an_artifact(store):
    store.put(KEY, io.BytesIO(b"data"), max_bytes=None)

    assert not store.exists("tenants/7f1c")
    with pytest.raises(ArtifactNotFound):
        store.open("tenants/7f1c")
    store.delete("tenants/7f1c")
    assert store.read_bytes(KEY) == b"data"


BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "tenants/../../outside",
    "tenants/./x",
    ".",
    "..",
    "a//b",
    "a/",
    "a\\b",
    "C:\\Windows\\x",
    ".hidden",
    "a b",
    "a\x00b",
    "caf\u00e9",
    "a:b",
    "x" * 2000,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_rejected_before_any_io(store, stored_names, key):
    with pytest.raises(InvalidArtifactKey):
        store.put(key, io.BytesIO(b"data"), max_bytes=None)
    for operation in (store.open, store.read_bytes, store.delete, store.exists):
        with pytest.raises(InvalidArtifactKey):
            operation(key)

    assert stored_names(store) == []
