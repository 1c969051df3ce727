"""Filesystem artifact store: the embedded-mode default."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from maestro.storage.base import (
    CHUNK_SIZE,
    ArtifactNotFound,
    ListedObject,
    Meter,
    Reclaimed,
    StoredObject,
    validate_key,
)

_TEMP_SUFFIX = ".tmp"


class LocalArtifactStore:
    """Stores each key as a file under `root`.

    Writes go to a hidden temp file in the target directory and are renamed into place, so a
    reader never sees a partial artifact and a failed write leaves no file behind.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalArtifactStore(root={str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def put(self, key: str, source: BinaryIO, max_bytes: int | None = None) -> StoredObject:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        meter = Meter(max_bytes)
        fd, tmp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=_TEMP_SUFFIX
        )
        try:
            with os.fdopen(fd, "wb") as tmp:
                while chunk := source.read(CHUNK_SIZE):
                    meter.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return meter.result(key)

    def open(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            file = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ArtifactNotFound(key) from None
        return _chunks(file)

    def read_bytes(self, key: str) -> bytes:
        return b"".join(self.open(key))

    def delete(self, key: str) -> None:
        path = self._path(key)
        if path.is_file():
            path.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        for path, stat in self._walk():
            if path.name.startswith("."):
                continue  # a temp file of a write in progress (or of a killed one)
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                yield ListedObject(key, stat.st_size, _mtime(stat))

    def remove_partials(self, older_than: datetime) -> Reclaimed:
        reclaimed = Reclaimed()
        for path, stat in self._walk():
            if not (path.name.startswith(".") and path.name.endswith(_TEMP_SUFFIX)):
                continue
            if _mtime(stat) >= older_than:
                continue  # a write still streaming touches its file all the time
            try:
                path.unlink()
            except FileNotFoundError:
                continue  # completed or removed meanwhile
            reclaimed += Reclaimed(1, stat.st_size)
        return reclaimed

    def _walk(self) -> Iterator[tuple[Path, os.stat_result]]:
        for directory, _dirs, files in os.walk(self.root):
            for name in files:
                path = Path(directory, name)
                try:
                    stat = path.lstat()
                except FileNotFoundError:
                    continue
                if path.is_symlink():
                    continue
                yield path, stat


def _mtime(stat: os.stat_result) -> datetime:
    return datetime.fromtimestamp(stat.st_mtime, UTC)


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    with file:
        while chunk := file.read(CHUNK_SIZE):
            yield chunk
