"""The orphan sweep: storage that no row references is given back after a crash.

Uploads stream to the artifact store before the row that references them is committed, and
deletes drop the object after the row is gone. A process killed in between (or mid-stream) leaves
an object without a row, a local temp file, an unfinished S3 multipart upload or a scratch copy of
a dataset: storage that no quota counts and nothing will ever read. The sweep removes exactly
those, at start-up and then periodically, and counts what it reclaimed
(`maestro_storage_orphans_reclaimed_total`, `maestro_storage_orphan_bytes_reclaimed_total`).

Never sweeping an upload that is about to be committed: only objects last written more than
`MAESTRO_ORPHAN_GRACE_SECONDS` ago are candidates, and the database is asked about them *after*
the store was listed, so a row committed meanwhile is seen. A put completes (and the local store
renames its temp file into place) moments before its transaction commits; the grace period is
orders of magnitude longer than that window. Only the key prefixes Maestro itself writes are
swept, so a bucket prefix shared with anything else is safe.
"""

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from maestro.db.base import utcnow
from maestro.db.models import Dataset, ModelVersion
from maestro.db.session import Database
from maestro.observability import metrics
from maestro.storage import ArtifactStore, Reclaimed

logger = logging.getLogger("maestro.storage")

#: Key prefixes the services write (`datasets/<tenant>/...`, `tenants/<tenant>/model-versions/...`).
OWNED_PREFIXES = ("datasets/", "tenants/")
#: Scratch directories in the system temp directory (dataset uploads and reads copy files there).
SCRATCH_PREFIX = "maestro-dataset-"
_QUERY_BATCH = 500


@dataclass
class SweepReport:
    """What one sweep removed, by kind."""

    objects: Reclaimed = field(default_factory=Reclaimed)
    partials: Reclaimed = field(default_factory=Reclaimed)
    scratch: Reclaimed = field(default_factory=Reclaimed)
    orphan_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            kind: {"count": value.count, "bytes": value.size_bytes}
            for kind, value in (
                ("object", self.objects),
                ("partial", self.partials),
                ("scratch", self.scratch),
            )
        }


class OrphanSweeper:
    def __init__(
        self,
        artifacts: ArtifactStore,
        *,
        grace_seconds: float,
        scratch_dir: Path | None = None,
    ) -> None:
        self.artifacts = artifacts
        self.grace = timedelta(seconds=max(0.0, grace_seconds))
        self.scratch_dir = Path(scratch_dir or tempfile.gettempdir())

    def sweep(self, db: Database, now: datetime | None = None) -> SweepReport:
        """Remove every leftover older than the grace period; safe to run on many replicas."""
        cutoff = (now or utcnow()) - self.grace
        report = SweepReport()
        report.partials = self.artifacts.remove_partials(cutoff)
        candidates = [
            listed
            for prefix in OWNED_PREFIXES
            for listed in self.artifacts.list_objects(prefix)
            if listed.modified_at < cutoff
        ]
        referenced = _referenced(db, [listed.key for listed in candidates])
        for listed in candidates:
            if listed.key in referenced:
                continue
            self.artifacts.delete(listed.key)
            report.objects += Reclaimed(1, listed.size_bytes)
            report.orphan_keys.append(listed.key)
        report.scratch = _remove_scratch(self.scratch_dir, cutoff)
        for kind, reclaimed in (
            ("object", report.objects),
            ("partial", report.partials),
            ("scratch", report.scratch),
        ):
            if reclaimed.count:
                metrics.ORPHANS_RECLAIMED.labels(kind=kind).inc(reclaimed.count)
                metrics.ORPHAN_BYTES_RECLAIMED.labels(kind=kind).inc(reclaimed.size_bytes)
        if report.orphan_keys or report.partials.count or report.scratch.count:
            logger.warning("orphan sweep reclaimed %s", report.as_dict())
        return report


def _referenced(db: Database, keys: list[str]) -> set[str]:
    """The keys among `keys` that a dataset or a model version row points to."""
    found: set[str] = set()
    for batch in _batches(keys, _QUERY_BATCH):
        with db.read_session() as session:
            found.update(
                session.scalars(select(Dataset.storage_key).where(Dataset.storage_key.in_(batch)))
            )
            found.update(
                session.scalars(
                    select(ModelVersion.storage_key).where(ModelVersion.storage_key.in_(batch))
                )
            )
    return found


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _remove_scratch(directory: Path, cutoff: datetime) -> Reclaimed:
    """Scratch directories of killed processes: nothing in them was touched since `cutoff`."""
    reclaimed = Reclaimed()
    try:
        entries = [p for p in directory.iterdir() if p.name.startswith(SCRATCH_PREFIX)]
    except OSError:
        return reclaimed
    for entry in entries:
        if _owner_alive(entry.name):
            continue  # a live process's work in progress, however long it takes
        files = _tree(entry)
        try:
            newest = max(os.lstat(path).st_mtime for path in [entry, *files])
        except OSError:
            continue  # removed meanwhile by its owner
        if datetime.fromtimestamp(newest, cutoff.tzinfo) >= cutoff:
            continue
        size = sum(_size(path) for path in files)
        shutil.rmtree(entry, ignore_errors=True)
        reclaimed += Reclaimed(1, size)
    return reclaimed


def scratch_prefix() -> str:
    """The prefix of this process's scratch directories: the sweep spares a live owner's."""
    return f"{SCRATCH_PREFIX}{os.getpid()}-"


def _owner_alive(name: str) -> bool:
    owner = name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
    if not owner.isdigit():
        return False  # an older scratch directory with no owner recorded: age alone decides
    try:
        os.kill(int(owner), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tree(entry: Path) -> list[Path]:
    if not entry.is_dir() or entry.is_symlink():
        return []
    return [Path(root, name) for root, _dirs, names in os.walk(entry) for name in names]


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except OSError:
        return 0


class PeriodicSweep:
    """Runs the sweep in a daemon thread: once at start, then every `interval` seconds."""

    def __init__(self, sweeper: OrphanSweeper, db: Database, interval: float) -> None:
        self.sweeper = sweeper
        self.db = db
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="maestro-sweep", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.sweeper.sweep(self.db)
            except Exception:  # an outage of the store or the database; try again next time
                metrics.STORAGE_SWEEPS.labels(status="failure").inc()
                logger.exception("orphan sweep failed")
            else:
                metrics.STORAGE_SWEEPS.labels(status="success").inc()
            if self.interval <= 0:
                return
            self._stopping.wait(self.interval)
