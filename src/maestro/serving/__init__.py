"""Serving: user models loaded and run in sandboxed worker processes, never in the API process.

This package owns everything that touches a user's model bytes after the registry has stored
them: the framed message protocol between the API and its workers (`protocol`), the sandbox a
worker applies to itself before it reads a single user byte (`sandbox`, `landlock`), the worker
loop with its byte-bounded model cache (`worker`, `runtime`, `cache`) and the API-side pool that
keeps warm workers, enforces a timeout per request and replaces a worker that dies (`pool`).

Invariant: a worker starts with an empty environment, reads only the Python installation it runs
from, writes nothing, opens no TCP socket, and gets user bytes only as a frame over its pipes,
never as pickle. Anything it returns is JSON. A worker that crashes, is killed or overruns its
timeout costs its request a `WorkerUnavailable`, and the next request gets a fresh worker.
"""

from maestro.serving.errors import ArtifactRefused, InvalidInstances, WorkerUnavailable
from maestro.serving.pool import WorkerConfig, WorkerPool

__all__ = [
    "ArtifactRefused",
    "InvalidInstances",
    "WorkerConfig",
    "WorkerPool",
    "WorkerUnavailable",
]
