"""The API side of serving: a fixed number of warm, sandboxed worker processes.

A request takes an idle worker (most recently used first, so a hot model stays hot), sends one
frame and waits for one answer until its deadline. A worker that closes its pipe, dies, sends
garbage or overruns the deadline is killed and reaped, and the request fails with
`WorkerUnavailable`; the slot starts a fresh worker on its next use, so the API never goes down
with a worker. Workers are started lazily: an API that never predicts runs none.

A worker whose API process dies reads end-of-file on its pipe and exits, so none is orphaned.
`shared_pool` keeps one pool per configuration for the life of the process (several apps in one
process, as in tests, share warm workers; models are keyed by version id and sha256).
"""

import atexit
import contextlib
import logging
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import maestro
from maestro.ml.artifact_policy import ArchiveLimits
from maestro.serving.errors import ArtifactRefused, InvalidInstances, WorkerUnavailable
from maestro.serving.protocol import ProtocolError, read_frame, write_frame
from maestro.serving.sandbox import SandboxSpec

logger = logging.getLogger("maestro.serving")

WORKER_MODULE = "maestro.serving.worker"

# The worker imports the same maestro source as the API that starts it, wherever that lives (an
# installed package, an editable checkout, or a second checkout run with PYTHONPATH, which `-I`
# would otherwise ignore).
_MAESTRO_SOURCE_ROOT = str(Path(maestro.__file__).resolve().parent.parent)
_WORKER_BOOTSTRAP = (
    f"import runpy, sys; sys.path.insert(0, {_MAESTRO_SOURCE_ROOT!r}); "
    f"runpy.run_module({WORKER_MODULE!r}, run_name='__main__', alter_sys=True)"
)


@dataclass(frozen=True)
class WorkerConfig:
    sandbox: SandboxSpec
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    cache_bytes: int = 512 * 1024**2
    max_artifact_bytes: int = 1024**3
    startup_timeout: float = 60.0

    def argv(self) -> list[str]:
        import json

        config = {
            "sandbox": self.sandbox.to_json(),
            "limits": {
                "max_entries": self.limits.max_entries,
                "max_uncompressed_bytes": self.limits.max_uncompressed_bytes,
                "max_array_bytes": self.limits.max_array_bytes,
            },
            "cache_bytes": self.cache_bytes,
            "max_artifact_bytes": self.max_artifact_bytes,
        }
        # -I: no environment variables, no user site, no current directory on sys.path.
        return [sys.executable, "-I", "-c", _WORKER_BOOTSTRAP, json.dumps(config)]


class _Worker:
    """One process and its pipes; used by one request at a time (it is held by the caller)."""

    def __init__(self, config: WorkerConfig) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            config.argv(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={},  # nothing of the API's environment: no keys, no database URL
            cwd="/",
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.write_fd = self.process.stdin.fileno()
        self.read_fd = self.process.stdout.fileno()
        deadline = time.monotonic() + config.startup_timeout
        ready, _ = read_frame(self.read_fd, deadline=deadline)
        if not ready.get("ready"):
            self.kill()
            raise RuntimeError(f"serving worker refused to start: {ready.get('message')}")
        self.landlock_abi = ready.get("landlock_abi")
        self.retire = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def exchange(
        self, message: dict[str, Any], blob: bytes, deadline: float
    ) -> tuple[dict[str, Any], bytes]:
        write_frame(self.write_fd, message, blob)
        return read_frame(self.read_fd, deadline=deadline, max_blob=0)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class _Slot:
    def __init__(self) -> None:
        self.worker: _Worker | None = None
        self.busy = False


class WorkerPool:
    def __init__(self, config: WorkerConfig, *, size: int, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        self._slots = [_Slot() for _ in range(max(1, size))]
        self._idle: queue.LifoQueue[_Slot] = queue.LifoQueue()
        for slot in self._slots:
            self._idle.put(slot)
        self._closed = False
        self._warming = False
        self._lock = threading.Lock()
        self.replaced = 0  # workers lost and replaced; tests and the log use it
        self.artifacts_sent = 0  # artifacts handed to a worker: a warm cache sends none

    def predict(
        self,
        key: str,
        request: dict[str, Any],
        read_artifact: Callable[[], bytes],
    ) -> dict[str, Any]:
        """Predict with the model `key`, sending its bytes only to a worker that lacks them."""
        message = {"op": "predict", "key": key, **request}
        with self._checkout() as worker:
            reply = self._call(worker, message, b"")
            if reply.get("code") == "not_loaded":
                reply = self._call(worker, message, read_artifact())
        return _result(reply)

    def load(self, key: str, request: dict[str, Any], data: bytes) -> dict[str, Any]:
        """Load and check an artifact in a worker (deploy's proof that it can be served)."""
        with self._checkout() as worker:
            reply = self._call(worker, {"op": "load", "key": key, **request}, data)
        return _result(reply)

    def warm(self) -> None:
        """Start every worker in the background, so the first predict after boot is fast.

        One thread per slot, each holding its slot while its worker starts, so each starts a
        different worker; a request arriving meanwhile waits for the first one ready.
        """
        if self._warming:
            return
        self._warming = True
        for index in range(len(self._slots)):
            threading.Thread(
                target=self._warm_one, name=f"serving-warm-{index}", daemon=True
            ).start()

    def _warm_one(self) -> None:
        try:
            with self._checkout():
                pass
        except WorkerUnavailable as exc:
            logger.warning("serving worker did not start: %s", exc.message)

    def pids(self, *, busy: bool | None = None) -> list[int]:
        """Live worker pids (only busy or idle ones if asked)."""
        return [
            slot.worker.pid
            for slot in self._slots
            if slot.worker is not None and (busy is None or slot.busy == busy)
        ]

    def close(self) -> None:
        self._closed = True
        self.stop_workers()

    def stop_workers(self) -> None:
        """End the idle workers (an app shutting down); the pool starts new ones on demand."""
        for slot in self._slots:
            if slot.worker is not None and not slot.busy:
                slot.worker.kill()
                slot.worker = None

    # --- internals ---------------------------------------------------------------------------

    def _call(self, worker: _Worker, message: dict[str, Any], blob: bytes) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        if blob:
            with self._lock:
                self.artifacts_sent += 1
        try:
            reply, _ = worker.exchange(message, blob, deadline)
        except (ProtocolError, OSError) as exc:
            raise _Lost(str(exc)) from exc
        if reply.get("retire"):
            worker.retire = True
        return reply

    def _checkout(self) -> "_Checkout":
        return _Checkout(self)

    def _acquire(self) -> _Slot:
        if self._closed:
            raise WorkerUnavailable("serving is shutting down")
        try:
            slot = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise WorkerUnavailable(
                "every serving worker is busy; retry shortly", {"workers": len(self._slots)}
            ) from None
        slot.busy = True
        try:
            if slot.worker is not None and slot.worker.process.poll() is not None:
                self._discard(slot, "exited while idle")
            if slot.worker is None:
                slot.worker = _Worker(self.config)
        except BaseException as exc:
            self._release(slot)
            if isinstance(exc, (RuntimeError, ProtocolError, OSError)):
                raise WorkerUnavailable(f"a serving worker could not start: {exc}") from exc
            raise
        return slot

    def _release(self, slot: _Slot) -> None:
        slot.busy = False
        if self._closed and slot.worker is not None:
            slot.worker.kill()
            slot.worker = None
        self._idle.put(slot)

    def _discard(self, slot: _Slot, reason: str) -> None:
        if slot.worker is not None:
            logger.warning("serving worker %s replaced: %s", slot.worker.pid, reason)
            slot.worker.kill()
            slot.worker = None
            with self._lock:
                self.replaced += 1


class _Lost(Exception):
    """The worker of this call is gone or unusable."""


class _Checkout:
    """`with pool._checkout() as worker:` holds a slot; a lost worker is replaced on exit."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.slot: _Slot | None = None

    def __enter__(self) -> _Worker:
        self.slot = self.pool._acquire()
        assert self.slot.worker is not None
        return self.slot.worker

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        assert self.slot is not None
        if isinstance(exc, _Lost):
            self.pool._discard(self.slot, str(exc))
            self.pool._release(self.slot)
            raise WorkerUnavailable(
                "the serving worker failed during this request (crashed, killed or timed "
                "out); it has been replaced, retry the request",
                {"reason": str(exc)[:200]},
            ) from exc
        if exc is not None and not isinstance(exc, Exception):
            self.pool._discard(self.slot, "interrupted")  # mid-frame: the pipe is out of step
        elif self.slot.worker is not None and self.slot.worker.retire:
            self.pool._discard(self.slot, "its CPU time is near the limit")
        self.pool._release(self.slot)


def _result(reply: dict[str, Any]) -> dict[str, Any]:
    if reply.get("ok"):
        return reply
    code, message = reply.get("code"), str(reply.get("message", "serving failed"))
    details = reply.get("details") if isinstance(reply.get("details"), dict) else {}
    if code == "unsupported_artifact":
        raise ArtifactRefused(message, details)
    raise InvalidInstances(message, details)


_SHARED: dict[tuple[WorkerConfig, int, float], WorkerPool] = {}
_SHARED_LOCK = threading.Lock()


def shared_pool(config: WorkerConfig, *, size: int, timeout: float) -> WorkerPool:
    """The process-wide pool for this configuration, created on first use."""
    with _SHARED_LOCK:
        pool = _SHARED.get((config, size, timeout))
        if pool is None:
            pool = _SHARED[(config, size, timeout)] = WorkerPool(config, size=size, timeout=timeout)
        return pool


@atexit.register
def _close_shared() -> None:
    for pool in _SHARED.values():
        pool.close()
