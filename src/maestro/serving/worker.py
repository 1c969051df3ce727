"""The serving worker process: `python -I -m maestro.serving.worker CONFIG_JSON`.

It reads frames on its stdin and answers on its stdout (both moved to private descriptors, so a
model that prints writes to stderr, never into the protocol). Requests:

* `{"op": "predict", "key", "rows", "format", "input_schema", "feature_names"}`, with the
  artifact as the binary part when the API knows the worker lacks it; without the artifact and
  with the key not cached, the answer is `{"ok": false, "code": "not_loaded"}`;
* `{"op": "load", ...}` the same without rows: loads, checks and caches (used by deploy).

Answers are `{"ok": true, ...}` or `{"ok": false, "code", "message", "details"}` with the codes
`not_loaded`, `unsupported_artifact` and `invalid_instances`. `"retire": true` in an answer asks
the pool to replace this worker (its CPU time is close to its limit).

`--probe PATH...` (tests only) applies the same sandbox and then reports, as one frame, whether
each path could be read and what environment the process sees.
"""

import json
import os
import resource
import sys
import time
from typing import Any

import joblib

# Imported before the sandbox closes the filesystem: later imports must find these loaded.
import numpy  # noqa: F401
import onnxruntime  # noqa: F401
import polars  # noqa: F401
import sklearn  # noqa: F401
import skops.io  # noqa: F401

from maestro.ml.artifact_policy import ArchiveLimits
from maestro.serving import sandbox
from maestro.serving.cache import ByteBoundedCache
from maestro.serving.errors import ArtifactRefused, InvalidInstances
from maestro.serving.protocol import ProtocolError, read_frame, write_frame
from maestro.serving.runtime import LoadedModel, load

RETIRE_AT = 0.9  # of the CPU-time limit


class Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        self.limits = ArchiveLimits(**config["limits"])
        self.cpu_seconds = int(config["sandbox"]["cpu_seconds"])
        self.cache: ByteBoundedCache[LoadedModel] = ByteBoundedCache(int(config["cache_bytes"]))

    def handle(self, message: dict[str, Any], blob: bytes) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            reply = self._dispatch(message, blob)
        except ArtifactRefused as exc:
            reply = _failure("unsupported_artifact", exc.message, exc.details)
        except InvalidInstances as exc:
            reply = _failure("invalid_instances", exc.message, exc.details)
        except MemoryError:
            reply = _failure(
                "invalid_instances", "the request exceeds the serving memory limit", {}
            )
        except Exception as exc:  # a model failing on its input (OSError included) is a 422
            reply = _failure(
                "invalid_instances",
                "the model failed on these instances",
                {"reason": f"{type(exc).__name__}: {str(exc)[:400]}"},
            )
        reply["worker_seconds"] = time.perf_counter() - started  # benchmarks split the cost
        usage = resource.getrusage(resource.RUSAGE_SELF)
        if usage.ru_utime + usage.ru_stime > RETIRE_AT * self.cpu_seconds:
            reply["retire"] = True
        return reply

    def _dispatch(self, message: dict[str, Any], blob: bytes) -> dict[str, Any]:
        key = str(message["key"])
        model = self.cache.get(key)
        if blob:
            model = load(
                str(message.get("format", "skops")),
                blob,
                self.limits,
                input_schema=message.get("input_schema"),
                feature_names=message.get("feature_names"),
            )
            self.cache.put(key, model, model.size_bytes)
        if model is None:
            return {"ok": False, "code": "not_loaded", "message": "load the artifact first"}
        if message.get("op") == "load":
            return {"ok": True, "size_bytes": model.size_bytes}
        rows = message.get("rows")
        if not isinstance(rows, list):
            raise InvalidInstances("rows must be a list")
        predictions, probabilities = model.predict(rows)
        return {"ok": True, "predictions": predictions, "probabilities": probabilities}


def _failure(code: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"ok": False, "code": code, "message": message, "details": details}


def _probe(paths: list[str]) -> dict[str, Any]:
    """What sandboxed code can reach: each path's readability, and its own environment."""
    results: dict[str, str] = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                handle.read(1)
            results[path] = "readable"
        except OSError as exc:
            results[path] = type(exc).__name__
    return {"paths": results, "environ": dict(os.environ)}


def main(argv: list[str]) -> int:
    config = json.loads(argv[0])
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # prints from a model go to stderr, never into the protocol
    os.close(devnull)
    # joblib counts physical cores once, with `lscpu`, and caches it: do it while exec works.
    joblib.cpu_count(only_physical_cores=True)
    try:
        applied = sandbox.apply(sandbox.SandboxSpec.from_json(config["sandbox"]))
    except (sandbox.SandboxError, OSError) as exc:
        write_frame(proto_out, {"ready": False, "message": str(exc)})
        return 3
    if len(argv) > 1 and argv[1] == "--probe":
        write_frame(proto_out, {"ready": True, **applied, "probe": _probe(argv[2:])})
        return 0
    worker = Worker(config)
    write_frame(proto_out, {"ready": True, **applied})
    max_blob = int(config["max_artifact_bytes"])
    while True:
        try:
            message, blob = read_frame(proto_in, max_blob=max_blob)
        except ProtocolError:
            return 0  # the API closed the pipe: shut down
        write_frame(proto_out, worker.handle(message, blob))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
