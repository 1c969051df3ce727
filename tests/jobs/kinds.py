"""Small real job kinds for the job-system tests, importable by every worker process.

Processes learn about them through `MAESTRO_JOB_MODULES=["tests.jobs.kinds"]`. Kinds that must
be observed mid-run write their pid to `payload["started"]`, so a test knows the handler really
runs (and which process to kill); `wait_for_file` holds until `payload["release"]` exists.
"""

import os
import time
from pathlib import Path
from typing import Any

from maestro.jobs import JobContext, JobFailed, register_job_kind


def _started(ctx: JobContext) -> None:
    if "started" in ctx.payload:
        path = Path(ctx.payload["started"])
        path.write_text(f"{os.getpid()} {ctx.attempt}\n")


def count(ctx: JobContext) -> dict[str, Any]:
    """Counts to n, reporting progress at every step."""
    n = int(ctx.payload["n"])
    for i in range(1, n + 1):
        ctx.progress("counting", 100 * i / n)
    return {"total": n * (n + 1) // 2, "attempt": ctx.attempt}


def explode(ctx: JobContext) -> dict[str, Any]:
    raise KeyError("target")


def refuse(ctx: JobContext) -> dict[str, Any]:
    raise JobFailed("the dataset has a single class; nothing to learn")


def until_cancelled(ctx: JobContext) -> dict[str, Any]:
    """A well-behaved long job: checks for cancellation between small steps."""
    _started(ctx)
    while True:
        ctx.check_cancelled()
        time.sleep(0.02)


def stubborn(ctx: JobContext) -> dict[str, Any]:
    """A job that never checks for cancellation (like a long native fit)."""
    _started(ctx)
    time.sleep(600)
    return {}


def wait_for_file(ctx: JobContext) -> dict[str, Any]:
    """Runs until the test creates `payload["release"]`: a job the test can kill mid-way."""
    _started(ctx)
    release = Path(ctx.payload["release"])
    while not release.exists():
        ctx.progress("waiting", 50)
        time.sleep(0.02)
    return {"attempt": ctx.attempt}


register_job_kind("test.count", count, uses_concurrency_slot=True)
register_job_kind("test.count_free", count, uses_concurrency_slot=False)
register_job_kind("test.explode", explode, uses_concurrency_slot=True)
register_job_kind("test.refuse", refuse, uses_concurrency_slot=True)
register_job_kind("test.until_cancelled", until_cancelled, uses_concurrency_slot=True)
register_job_kind("test.stubborn", stubborn, uses_concurrency_slot=True)
register_job_kind("test.wait_for_file", wait_for_file, uses_concurrency_slot=True)
