"""Job kinds: which handler runs a kind, and whether it takes a `concurrent_training_jobs` slot.

The registry is per process. A kind is registered when its module is imported; the API, the
local pool and `maestro worker` all import `BUILTIN_KIND_MODULES` plus `MAESTRO_JOB_MODULES`
through `load_job_kinds`, so every process that submits or runs a kind knows it. Handlers
cross process boundaries by name (`module:function`), never as pickled code.
"""

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maestro.jobs.context import JobContext

Handler = Callable[["JobContext"], dict[str, Any]]

# Modules of the platform's own job kinds (training, feature discovery, ...); one line each.
BUILTIN_KIND_MODULES: tuple[str, ...] = (
    "maestro.jobs.kinds.training",
    "maestro.jobs.kinds.discovery",
    "maestro.jobs.kinds.drift",
)


@dataclass(frozen=True)
class JobKind:
    name: str
    handler_path: str  # "package.module:function", importable in any worker process
    uses_concurrency_slot: bool
    max_attempts: int | None  # None: MAESTRO_JOB_MAX_ATTEMPTS


_KINDS: dict[str, JobKind] = {}


def handler_path(handler: Handler) -> str:
    module, qualname = handler.__module__, handler.__qualname__
    if module == "__main__" or "." in qualname or "<" in qualname:
        raise ValueError(f"job handler {qualname!r} must be a top-level function of a module")
    return f"{module}:{qualname}"


def register_job_kind(
    kind: str,
    handler: Handler,
    *,
    uses_concurrency_slot: bool,
    max_attempts: int | None = None,
) -> JobKind:
    """Declare `kind`; re-registering the same handler (a module imported twice) is harmless."""
    entry = JobKind(kind, handler_path(handler), uses_concurrency_slot, max_attempts)
    existing = _KINDS.get(kind)
    if existing is not None and existing != entry:
        raise ValueError(f"job kind {kind!r} is already registered to {existing.handler_path}")
    _KINDS[kind] = entry
    return entry


def get_job_kind(kind: str) -> JobKind | None:
    return _KINDS.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_KINDS)


def load_job_kinds(extra_modules: Iterable[str] = ()) -> None:
    """Import every module that registers kinds (built-in ones, then MAESTRO_JOB_MODULES)."""
    for module in (*BUILTIN_KIND_MODULES, *extra_modules):
        importlib.import_module(module)


def resolve_handler(path: str) -> Handler:
    module, _, name = path.partition(":")
    handler: Handler = getattr(importlib.import_module(module), name)
    return handler
