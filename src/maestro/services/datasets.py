"""Datasets: uploaded CSV or Parquet files, validated, described and stored as artifacts.

An upload streams once: every byte goes to the artifact store (under a server-generated key, with
the size limit) and to a local temporary copy that polars parses. Only a file that parses becomes
a row; the `datasets` and `storage_bytes` quotas are taken in the transaction that inserts it,
and any failure (parse error, quota, rollback) deletes the stored object again, so a failed upload
never changes storage usage. `upload` stores and parses before that transaction opens, so on
SQLite a long upload never holds the write lock. Rows, columns and decoded size are checked
from the Parquet footer and while streaming the CSV (`DecodeLimits`), before polars loads it.

Other code loads a dataset with `DatasetService.load_frame(session, principal, dataset_id)`, or
`read_frame(store, key, format)` when it already holds the row.
"""

import logging
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from maestro.db.models import Dataset
from maestro.db.session import Database
from maestro.errors import NotFound, PayloadTooLarge
from maestro.services.dataset_files import (
    SNIFF_BYTES,
    DecodeLimits,
    FileProfile,
    detect_format,
    profile_file,
    read_file,
)
from maestro.services.json_values import check_value
from maestro.services.orphans import scratch_prefix
from maestro.services.pagination import Page, paginate
from maestro.services.principal import Principal
from maestro.services.quotas import QuotaPolicy
from maestro.services.transactions import after_commit, after_rollback
from maestro.storage import ArtifactStore, ArtifactTooLarge, StoredObject

logger = logging.getLogger("maestro.datasets")


class DatasetService:
    def __init__(
        self,
        quota_policy: QuotaPolicy,
        artifacts: ArtifactStore,
        *,
        max_bytes: int,
        max_columns: int,
        preview_rows: int,
        limits: DecodeLimits | None = None,
    ) -> None:
        self.limits = limits or DecodeLimits()
        self.quotas = quota_policy
        self.artifacts = artifacts
        self.max_bytes = max_bytes
        self.max_columns = max_columns
        self.preview_rows = preview_rows

    def upload(
        self,
        db: Database,
        principal: Principal,
        *,
        name: str,
        source: BinaryIO,
        filename: str | None = None,
        description: str | None = None,
    ) -> Dataset:
        """`create` with the slow part outside any transaction.

        Streaming and parsing a large file takes seconds to minutes; on SQLite a write
        transaction holds the database's only write lock all that time. So the file is stored
        and profiled first, and the row and both quotas are written in one short transaction.
        """
        staged = self._stage(principal, name, description, source, filename)
        try:
            with db.session() as session:
                return self._register(session, principal, staged)
        except BaseException:
            self._discard(staged.key)
            raise

    def create(
        self,
        session: Session,
        principal: Principal,
        *,
        name: str,
        source: BinaryIO,
        filename: str | None = None,
        description: str | None = None,
    ) -> Dataset:
        """Store, validate and register an uploaded file (422, 413 or 415 on a bad one)."""
        staged = self._stage(principal, name, description, source, filename)
        try:
            dataset = self._register(session, principal, staged)
        except BaseException:
            self._discard(staged.key)
            raise
        after_rollback(session, lambda: self._discard(staged.key))
        return dataset

    def _stage(
        self,
        principal: Principal,
        name: str,
        description: str | None,
        source: BinaryIO,
        filename: str | None,
    ) -> "_Staged":
        """Check the caller, stream the file to the store and profile it; no database."""
        tenant_id = principal.require_tenant()
        principal.require_write()
        check_value(name, "name")
        check_value(description, "description")
        head = source.read(SNIFF_BYTES)
        fmt = detect_format(head, filename)
        key = f"datasets/{tenant_id}/{uuid.uuid4().hex}.{fmt}"
        with tempfile.TemporaryDirectory(prefix=scratch_prefix()) as workdir:
            local = Path(workdir) / f"upload.{fmt}"
            with local.open("wb") as copy:
                try:
                    stored = self.artifacts.put(
                        key, _TeeReader(head, source, copy), max_bytes=self.max_bytes
                    )
                except ArtifactTooLarge as exc:
                    raise PayloadTooLarge(
                        f"the file exceeds the upload limit of {self.max_bytes} bytes",
                        details={"limit_bytes": self.max_bytes},
                    ) from exc
            try:
                profile = profile_file(
                    local,
                    fmt,
                    max_columns=self.max_columns,
                    preview_rows=self.preview_rows,
                    limits=self.limits,
                )
            except BaseException:
                self._discard(key)
                raise
        return _Staged(
            key=key,
            fmt=fmt,
            name=name,
            description=description,
            stored=stored,
            profile=profile,
        )

    def _register(self, session: Session, principal: Principal, staged: "_Staged") -> Dataset:
        """The row and both quotas, in the caller's transaction."""
        tenant_id = principal.require_tenant()
        dataset = Dataset(
            tenant_id=tenant_id,
            name=staged.name,
            description=staged.description,
            format=staged.fmt,
            storage_key=staged.stored.key,
            size_bytes=staged.stored.size_bytes,
            sha256=staged.stored.sha256,
            rows=staged.profile.rows,
            columns=staged.profile.columns,
            preview=staged.profile.preview,
            created_by=principal.user_id,
        )
        session.add(dataset)
        self.quotas.consume(session, tenant_id, "datasets")
        self.quotas.consume(session, tenant_id, "storage_bytes", staged.stored.size_bytes)
        session.flush()
        return dataset

    def get(self, session: Session, principal: Principal, dataset_id: str) -> Dataset:
        dataset = session.scalar(
            select(Dataset).where(
                Dataset.id == dataset_id, Dataset.tenant_id == principal.require_tenant()
            )
        )
        if dataset is None:
            raise NotFound(f"dataset {dataset_id!r} not found")
        return dataset

    def list(
        self, session: Session, principal: Principal, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Dataset]:
        return paginate(
            session,
            select(Dataset).where(Dataset.tenant_id == principal.require_tenant()),
            created_at=Dataset.created_at,
            row_id=Dataset.id,
            limit=limit,
            cursor=cursor,
        )

    def names(
        self, session: Session, principal: Principal, *, limit: int
    ) -> Sequence[tuple[str, str]]:
        """(id, name) of the tenant's newest datasets, for pickers (no JSON columns read)."""
        rows = session.execute(
            select(Dataset.id, Dataset.name)
            .where(Dataset.tenant_id == principal.require_tenant())
            .order_by(Dataset.created_at.desc(), Dataset.id.desc())
            .limit(limit)
        )
        return [(row.id, row.name) for row in rows]

    def delete(self, session: Session, principal: Principal, dataset_id: str) -> None:
        """Remove the row, give back both quotas, and drop the file once that is committed."""
        principal.require_write()
        dataset = self.get(session, principal, dataset_id)
        session.delete(dataset)
        self.quotas.release(session, dataset.tenant_id, "datasets")
        self.quotas.release(session, dataset.tenant_id, "storage_bytes", dataset.size_bytes)
        # Deleted only once the row is gone for good: a rollback must not leave a row whose file
        # is missing. A crash in between leaves an orphan object, never a usage miscount.
        key = dataset.storage_key
        after_commit(session, lambda: self._discard(key))

    def load_frame(self, session: Session, principal: Principal, dataset_id: str) -> pl.DataFrame:
        """The dataset as a polars DataFrame, for feature discovery and training.

        Raises `NotFound` for another tenant's dataset, like every read.
        """
        dataset = self.get(session, principal, dataset_id)
        return read_frame(self.artifacts, dataset.storage_key, dataset.format)

    def _discard(self, key: str) -> None:
        try:
            self.artifacts.delete(key)
        except Exception:  # cleanup must not mask the error that caused it
            logger.exception("could not delete dataset artifact %s", key)


def read_frame(store: ArtifactStore, key: str, fmt: str) -> pl.DataFrame:
    """Load a stored dataset file (copied to a temporary file, so S3 works the same)."""
    with tempfile.TemporaryDirectory(prefix=scratch_prefix()) as workdir:
        local = Path(workdir) / f"dataset.{fmt}"
        with local.open("wb") as copy:
            for chunk in store.open(key):
                copy.write(chunk)
        return read_file(local, fmt)


@dataclass(frozen=True)
class _Staged:
    """An uploaded file in the store, validated, not yet a row."""

    key: str
    fmt: str
    name: str
    description: str | None
    stored: StoredObject
    profile: FileProfile


class _TeeReader:
    """Replays the sniffed head, then the rest of the upload, copying every byte it hands out."""

    def __init__(self, head: bytes, source: BinaryIO, copy: BinaryIO) -> None:
        self._head = head
        self._source = source
        self._copy = copy

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._source.read(), b""
            else:
                data, self._head = self._head[:size], self._head[size:]
        else:
            data = self._source.read(-1 if size is None else size)
        self._copy.write(data)
        return data
