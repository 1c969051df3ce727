"""The directory of prometheus_client's per-process metric files under `serve --workers N`.

Each worker writes its counters to files in `PROMETHEUS_MULTIPROC_DIR`, and `/metrics` sums every
file there, so files left by an earlier server would resurrect its counts. A configured directory
is emptied at start. Otherwise each server makes its own directory, named after its pid, writes
its identity (pid and kernel start time) into it, and removes it on a clean exit; a server killed
with SIGKILL cannot, so every start first removes the directories of servers that are gone.

Must not import prometheus_client: the variable has to be set before that import.
"""

import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from maestro.processes import process_alive, process_start_time

ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "maestro-metrics-"
OWNER_FILE = "owner"


def prepare(environ: MutableMapping[str, str], pid: int, base: Path | None = None) -> Path | None:
    """Set up the directory for this server; returns it when it is ours to remove at exit."""
    configured = environ.get(ENV)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return None
    base = base or Path(tempfile.gettempdir())
    remove_abandoned(base)
    directory = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{pid}-", dir=base))
    (directory / OWNER_FILE).write_text(f"{pid} {process_start_time(pid) or ''}\n")
    environ[ENV] = str(directory)
    return directory


def remove_abandoned(base: Path) -> list[Path]:
    """Remove the metric directories whose server no longer runs; returns what was removed."""
    removed = []
    for directory in base.glob(f"{PREFIX}*"):
        if not directory.is_dir() or directory.is_symlink():
            continue
        try:
            pid_text, _, start = (directory / OWNER_FILE).read_text().strip().partition(" ")
            pid = int(pid_text)
        except (OSError, ValueError):
            pid, start = _pid_from_name(directory.name), ""
        if pid is None or process_alive(pid, start or None):
            continue
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(directory)
    return removed


def _pid_from_name(name: str) -> int | None:
    """`maestro-metrics-<pid>-<random>`; None for a name of another form (left alone)."""
    head = name.removeprefix(PREFIX).split("-", 1)[0]
    return int(head) if head.isdigit() else None
