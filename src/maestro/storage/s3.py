"""S3-compatible artifact store for scale-out deployments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from maestro.storage.base import (
    CHUNK_SIZE,
    ArtifactNotFound,
    ListedObject,
    Meter,
    Reclaimed,
    StoredObject,
    validate_key,
)

# Non-seekable uploads buffer parts in memory: at most
# max_concurrency * multipart_chunksize bytes in flight per upload.
_TRANSFER = TransferConfig(
    multipart_threshold=8 * 1024 * 1024,
    multipart_chunksize=8 * 1024 * 1024,
    max_concurrency=4,
    max_io_queue=8,
)
_MISSING = {"404", "NoSuchKey", "NotFound"}
#: Each upload holds up to `max_concurrency` connections and the API runs uploads in a thread
#: pool (40 threads by default): a pool smaller than that makes uploads wait for a connection
#: and botocore warn "Connection pool is full, discarding connection". Connections open lazily.
DEFAULT_MAX_POOL_CONNECTIONS = 40 * 4 + 8


class S3ArtifactStore:
    """Stores each key as `<prefix>/<key>` in one bucket.

    Uploads stream through `upload_fileobj` (multipart above 8 MiB). The source is wrapped in a
    reader that counts, hashes and enforces the limit, so an oversize upload fails mid-stream;
    S3 commits an object only on a completed upload, and boto3 aborts the multipart upload on
    error, so a failed put leaves nothing behind (and never clobbers an existing object).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        client: Any = None,
        max_pool_connections: int = DEFAULT_MAX_POOL_CONNECTIONS,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            config=Config(max_pool_connections=max_pool_connections),
        )

    def __repr__(self) -> str:
        return f"S3ArtifactStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _object_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, source: BinaryIO, max_bytes: int | None = None) -> StoredObject:
        object_key = self._object_key(key)
        reader = _MeteredReader(source, Meter(max_bytes))
        self._client.upload_fileobj(reader, self.bucket, object_key, Config=_TRANSFER)
        return reader.meter.result(key)

    def open(self, key: str) -> Iterator[bytes]:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                raise ArtifactNotFound(key) from None
            raise
        return _chunks(response["Body"])

    def read_bytes(self, key: str) -> bytes:
        return b"".join(self.open(key))

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        root = f"{self.prefix}/" if self.prefix else ""
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=root + prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield ListedObject(
                    item["Key"].removeprefix(root), int(item["Size"]), item["LastModified"]
                )

    def remove_partials(self, older_than: datetime) -> Reclaimed:
        """Abort multipart uploads started before `older_than` (their parts cost storage)."""
        root = f"{self.prefix}/" if self.prefix else ""
        reclaimed = Reclaimed()
        pages = self._client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=root
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                if upload["Initiated"] >= older_than:
                    continue
                size = self._parts_size(upload["Key"], upload["UploadId"])
                try:
                    self._client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                except ClientError as exc:
                    if str(exc.response.get("Error", {}).get("Code")) == "NoSuchUpload":
                        continue  # completed or aborted meanwhile
                    raise
                reclaimed += Reclaimed(1, size)
        return reclaimed

    def _parts_size(self, object_key: str, upload_id: str) -> int:
        pages = self._client.get_paginator("list_parts").paginate(
            Bucket=self.bucket, Key=object_key, UploadId=upload_id
        )
        try:
            return sum(int(part["Size"]) for page in pages for part in page.get("Parts", []))
        except ClientError:
            return 0


class _MeteredReader:
    """A read-only, non-seekable view of `source` that meters every byte boto3 pulls.

    boto3 treats a short read as end of stream, but sockets and request bodies return short
    reads freely, so `read(n)` keeps reading until it has `n` bytes or the source is exhausted.
    """

    def __init__(self, source: BinaryIO, meter: Meter) -> None:
        self._source = source
        self.meter = meter

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._take(self._source.read())
        parts: list[bytes] = []
        wanted = size
        while wanted > 0 and (chunk := self._source.read(wanted)):
            parts.append(chunk)
            wanted -= len(chunk)
        return self._take(b"".join(parts))

    def _take(self, data: bytes) -> bytes:
        self.meter.update(data)
        return data


def _chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_SIZE)
    finally:
        body.close()


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING
