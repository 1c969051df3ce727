"""The confinement a serving worker applies to itself before it touches user bytes.

Order matters: the worker first imports everything it needs (so no later import has to read a
path outside the allowed roots), then calls `apply`, which

* empties the environment (the pool already starts it with none) and moves to `/`;
* sets resource limits: address space (`RLIMIT_AS`), CPU seconds (`RLIMIT_CPU`), no file
  writes (`RLIMIT_FSIZE=0`), no core dumps, few descriptors;
* closes the filesystem with Landlock to read-only access beneath the Python installation and
  the system libraries (no `/etc`, no `/proc`, no data directory, no database file), and denies
  TCP bind/connect, abstract UNIX sockets and signals to processes outside the sandbox.

`forbidden` paths (the data directory, the SQLite file, a local artifact store) are checked
against the allowed roots, so a deployment that put its data under the installation fails to
start its workers instead of exposing the data.
"""

import os
import resource
import signal
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from maestro.serving import landlock

_SYSTEM_LIBRARIES = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
# joblib and OpenMP size their thread pools from the cgroup CPU quota at each predict
# (HistGradientBoosting does): these files, and nothing else of /sys, stay readable.
_CPU_QUOTA_FILES = (
    "/sys/fs/cgroup/cpu.max",
    "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
    "/sys/fs/cgroup/cpu/cpu.cfs_period_us",
)


@dataclass(frozen=True)
class SandboxSpec:
    memory_bytes: int
    cpu_seconds: int
    landlock: Literal["required", "auto"] = "auto"
    forbidden: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "memory_bytes": self.memory_bytes,
            "cpu_seconds": self.cpu_seconds,
            "landlock": self.landlock,
            "forbidden": list(self.forbidden),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SandboxSpec":
        return cls(
            memory_bytes=int(data["memory_bytes"]),
            cpu_seconds=int(data["cpu_seconds"]),
            landlock=data.get("landlock", "auto"),
            forbidden=tuple(str(p) for p in data.get("forbidden", ())),
        )


class SandboxError(RuntimeError):
    """The sandbox cannot be applied as required; the worker must not serve."""


def read_roots() -> list[Path]:
    """Where a worker may read: the interpreter's libraries, maestro's code, system libraries."""
    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths.update(p for p in sys.path if p)
    paths.add(str(Path(__file__).resolve().parents[1]))  # the maestro package itself
    paths.update(_SYSTEM_LIBRARIES)
    paths.update(_CPU_QUOTA_FILES)
    return sorted({Path(p).resolve() for p in paths if os.path.exists(p)})


def apply(spec: SandboxSpec) -> dict[str, Any]:
    """Confine this process for good; returns what was applied (for the ready message)."""
    roots = read_roots()
    for forbidden in spec.forbidden:
        target = Path(forbidden).resolve()
        for root in roots:
            if target == root or target.is_relative_to(root):
                raise SandboxError(f"{target} lies under the readable root {root}")
    os.environ.clear()
    os.chdir("/")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write then fails with EFBIG instead
    _limit(resource.RLIMIT_AS, spec.memory_bytes)
    _limit(resource.RLIMIT_CPU, spec.cpu_seconds, hard=spec.cpu_seconds + 5)
    _limit(resource.RLIMIT_FSIZE, 0)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_NOFILE, 64)
    try:
        abi: int | None = landlock.restrict_to_read_only(roots)
    except landlock.LandlockUnavailable as exc:
        if spec.landlock == "required":
            raise SandboxError(str(exc)) from exc
        abi = None
    return {"landlock_abi": abi, "read_roots": [str(r) for r in roots]}


def _limit(which: int, soft: int, *, hard: int | None = None) -> None:
    _, current_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))
