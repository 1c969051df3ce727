"""Job kind `feature_discovery`: run the ML layer's discovery on a dataset and keep its report.

Each stage (profile, relevance, leakage, generate) is counted in
`maestro_feature_discovery_operations_total` and timed in `..._duration_seconds` through
`JobMetrics` (the worker's own registry is not scraped; see `maestro.services.job_metrics`).
"""

from typing import Any

from maestro.jobs import JobContext, JobFailed, register_job_kind
from maestro.jobs.kinds import job_principal, load_dataset_row
from maestro.ml.discovery import STAGES, discover
from maestro.ml.errors import DiscoveryError
from maestro.services.datasets import read_frame
from maestro.services.discovery import DISCOVERY_KIND
from maestro.services.job_metrics import JobMetrics

_LOADED = 5.0


def run_discovery(ctx: JobContext) -> dict[str, Any]:
    principal = job_principal(ctx)
    tenant = principal.tenant_slug or ""
    sink = JobMetrics.for_job(ctx.db, ctx.tenant_id, ctx.job_id, ctx.settings.executor)
    ctx.progress("load", 0.0)
    dataset = load_dataset_row(ctx, ctx.payload["dataset_id"])
    try:
        frame = read_frame(ctx.artifacts, dataset.storage_key, dataset.format)
    except Exception as exc:
        raise JobFailed(f"cannot read dataset '{dataset.name}': {exc}") from exc
    ctx.progress(STAGES[0], _LOADED)

    def on_stage(name: str, seconds: float, ok: bool) -> None:
        status = "success" if ok else "failure"
        sink.record(
            "maestro_feature_discovery_operations_total",
            {"tenant_id": tenant, "operation": name, "status": status},
        )
        sink.record("maestro_feature_discovery_duration_seconds", {"operation": name}, seconds)
        if ok:
            done = STAGES.index(name) + 1
            following = STAGES[done] if done < len(STAGES) else "done"
            ctx.progress(following, _LOADED + (100.0 - _LOADED) * done / len(STAGES))

    try:
        report = discover(frame, ctx.payload.get("target"), on_stage=on_stage)
    except DiscoveryError as exc:
        raise JobFailed(str(exc)) from exc
    return {"dataset_id": dataset.id, "target": report.target, "report": report.to_dict()}


register_job_kind(DISCOVERY_KIND, run_discovery, uses_concurrency_slot=False)
