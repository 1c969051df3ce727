"""The MLflow artifact proxy: files under MLflow paths, kept in the tenant's artifact store.

The path a client writes (`<experiment>/<run>/artifacts/model/MLmodel`) is only a name in the
`mlflow_artifacts` table; the bytes live under a server-generated key below `tenants/<id>/`, so
a path can never escape the tenant or address another object. Bytes stream to the store before
any transaction opens; the row and the `storage_bytes` quota then move together, and the object
is deleted again if they fail. Overwriting a path releases the old size and deletes the old
object after commit.
"""

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from maestro.db.models import MlflowArtifact
from maestro.errors import NotFound, PayloadTooLarge
from maestro.mlflow_compat.errors import invalid
from maestro.services.principal import Principal
from maestro.services.quotas import QuotaPolicy
from maestro.services.transactions import after_commit, after_rollback
from maestro.storage import ArtifactNotFound, ArtifactStore, ArtifactTooLarge

logger = logging.getLogger("maestro.mlflow")
MAX_PATH = 1000
SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class FileInfo:
    path: str
    is_dir: bool
    file_size: int | None


def clean_path(path: str | None, *, allow_root: bool = False) -> str:
    """A relative `/`-separated path without `.`/`..` segments, or INVALID_PARAMETER_VALUE."""
    path = (path or "").strip("/")
    if not path:
        if allow_root:
            return ""
        raise invalid("an artifact path is required")
    segments = path.split("/")
    if len(path) > MAX_PATH or any(s in ("", ".", "..") or "\x00" in s for s in segments):
        raise invalid(f"invalid artifact path {path!r}")
    return path


def _prefix_pattern(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}/%"


class ArtifactProxy:
    def __init__(self, quotas: QuotaPolicy, store: ArtifactStore, *, max_bytes: int) -> None:
        self.quotas = quotas
        self.store = store
        self.max_bytes = max_bytes

    def upload(
        self, db_session: SessionFactory, principal: Principal, path: str, source: BinaryIO
    ) -> None:
        """Stream `source` to the store, then record it (replacing any file at `path`)."""
        tenant_id = principal.require_tenant()
        principal.require_write()
        path = clean_path(path)
        key = f"tenants/{tenant_id}/mlflow-artifacts/{uuid.uuid4().hex}"
        try:
            stored = self.store.put(key, source, max_bytes=self.max_bytes)
        except ArtifactTooLarge as exc:
            raise PayloadTooLarge(
                f"artifact exceeds the upload limit of {exc.limit} bytes",
                details={"limit_bytes": exc.limit},
            ) from exc
        try:
            with db_session() as session:
                self._record(session, tenant_id, path, key, stored.size_bytes)
        except BaseException:
            self._discard(key)
            raise

    def _record(self, session: Session, tenant_id: str, path: str, key: str, size: int) -> None:
        after_rollback(session, lambda: self._discard(key))
        old = session.scalar(
            select(MlflowArtifact)
            .where(MlflowArtifact.tenant_id == tenant_id, MlflowArtifact.path == path)
            .with_for_update()
        )
        # The replaced file's bytes are given back first (same transaction): an overwrite is
        # charged only for what it adds, so a tenant near its limit can still replace a file.
        if old is not None and old.size_bytes:
            self.quotas.release(session, tenant_id, "storage_bytes", old.size_bytes)
        self.quotas.consume(session, tenant_id, "storage_bytes", size)
        if old is None:
            session.add(
                MlflowArtifact(tenant_id=tenant_id, path=path, storage_key=key, size_bytes=size)
            )
            session.flush()
            return
        old_key = old.storage_key
        old.storage_key, old.size_bytes = key, size
        session.flush()
        after_commit(session, lambda: self._discard(old_key))

    def open(self, session: Session, principal: Principal, path: str) -> Iterator[bytes]:
        tenant_id = principal.require_tenant()
        path = clean_path(path)
        key = session.scalar(
            select(MlflowArtifact.storage_key).where(
                MlflowArtifact.tenant_id == tenant_id, MlflowArtifact.path == path
            )
        )
        if key is None:
            raise NotFound(f"artifact {path!r} not found")
        try:
            return self.store.open(key)
        except ArtifactNotFound as exc:
            raise NotFound(f"artifact {path!r} is missing from the store") from exc

    def files_under(
        self, session: Session, principal: Principal, prefix: str
    ) -> list[tuple[str, str, int]]:
        """Every file below `prefix`: (path relative to it, storage key, size)."""
        tenant_id = principal.require_tenant()
        prefix = clean_path(prefix, allow_root=True)
        statement = select(
            MlflowArtifact.path, MlflowArtifact.storage_key, MlflowArtifact.size_bytes
        ).where(MlflowArtifact.tenant_id == tenant_id)
        if prefix:
            statement = statement.where(
                MlflowArtifact.path.like(_prefix_pattern(prefix), escape="\\")
            )
        start = len(prefix) + 1 if prefix else 0
        return [(row[0][start:], row[1], row[2]) for row in session.execute(statement)]

    def list(self, session: Session, principal: Principal, path: str | None) -> list[FileInfo]:
        """The direct children of `path`: files with sizes, and directories."""
        prefix = clean_path(path, allow_root=True)
        children: dict[str, FileInfo] = {}
        for relative, _, size in self.files_under(session, principal, prefix):
            head, _, rest = relative.partition("/")
            full = f"{prefix}/{head}" if prefix else head
            if rest:
                children.setdefault(head, FileInfo(full, True, None))
            else:
                children[head] = FileInfo(full, False, size)
        return [children[name] for name in sorted(children)]

    def delete(self, session: Session, principal: Principal, path: str) -> None:
        """Delete the file at `path`, or every file below it, releasing their bytes."""
        tenant_id = principal.require_tenant()
        principal.require_write()
        path = clean_path(path)
        rows = session.execute(
            select(MlflowArtifact.id, MlflowArtifact.storage_key, MlflowArtifact.size_bytes).where(
                MlflowArtifact.tenant_id == tenant_id,
                (MlflowArtifact.path == path)
                | MlflowArtifact.path.like(_prefix_pattern(path), escape="\\"),
            )
        ).all()
        if not rows:
            raise NotFound(f"artifact {path!r} not found")
        session.execute(delete(MlflowArtifact).where(MlflowArtifact.id.in_([r[0] for r in rows])))
        total = sum(r[2] for r in rows)
        if total:
            self.quotas.release(session, tenant_id, "storage_bytes", total)
        keys = [r[1] for r in rows]
        after_commit(session, lambda: [self._discard(k) for k in keys])

    def chunks(self, key: str) -> Iterator[bytes]:
        """The bytes of a file found by `files_under` (keys never come from the client)."""
        try:
            return self.store.open(key)
        except ArtifactNotFound as exc:
            raise NotFound("an artifact is missing from the store") from exc

    def _discard(self, key: str) -> None:
        try:
            self.store.delete(key)
        except Exception:  # never mask the original failure; the orphan is logged
            logger.exception("could not delete artifact %s", key)
