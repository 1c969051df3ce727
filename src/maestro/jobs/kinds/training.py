"""Job kind `training`: load the dataset, train, track an experiment, register a model version.

Runs in a worker process. Metrics go through `JobMetrics` (see `maestro.services.job_metrics`):
the experiment's `started` and terminal status and the version registration are mirrored to the
outbox; the training duration is recorded by the API when it sees the job end.

Retries are idempotent. A version records the job that registered it (`source_job_id`, unique),
so an attempt killed after registering leaves a version the retry finds and returns, with the
experiment that produced it, instead of training and registering again. An experiment an earlier
attempt left `running` (it was killed before registering) is marked `failed`, never `completed`.
"""

import json
import logging
from typing import Any

import polars as pl

from maestro.errors import Conflict, MaestroError, NotFound
from maestro.jobs import JobCancelled, JobContext, JobFailed, register_job_kind
from maestro.jobs.kinds import job_principal, load_dataset_row
from maestro.ml.errors import TrainingCancelled, TrainingError
from maestro.ml.tasks import resolve_task
from maestro.ml.training import TrainingResult, train
from maestro.services.datasets import read_frame
from maestro.services.experiments import ExperimentService, MetricValue
from maestro.services.job_metrics import JobMetrics
from maestro.services.principal import Principal
from maestro.services.registry import MAX_METADATA_BYTES, RegistryService, VersionDetails
from maestro.services.training import TRAINING_KIND, running_experiments_of_job

logger = logging.getLogger("maestro.jobs")

#: A classification target with more classes than this is refused (one-vs-rest cost explodes).
MAX_CLASSES = 500
_TRAIN_SPAN = (5.0, 90.0)  # the share of the progress bar the ML layer's stages fill


def run_training(ctx: JobContext) -> dict[str, Any]:
    request = ctx.payload
    principal = job_principal(ctx)
    sink = JobMetrics.for_job(ctx.db, ctx.tenant_id, ctx.job_id, ctx.settings.executor)
    experiments = ExperimentService(ctx.quotas)
    earlier = _earlier_version(ctx, principal) if ctx.attempt > 1 else None
    if ctx.attempt > 1:
        kept = (earlier.version.metadata_ or {}).get("source_experiment_id") if earlier else None
        _fail_interrupted_attempts(ctx, experiments, principal, sink, keep=kept)
    if earlier is not None:
        return _resume(ctx, experiments, principal, sink, request, earlier)
    ctx.progress("load", 1.0)
    dataset = load_dataset_row(ctx, request["dataset_id"])
    try:
        frame = read_frame(ctx.artifacts, dataset.storage_key, dataset.format)
    except Exception as exc:
        raise JobFailed(f"cannot read dataset '{dataset.name}': {exc}") from exc
    _check_classes(frame, request)

    tenant = {"tenant_id": principal.tenant_slug or ""}
    with ctx.db.session() as session:
        experiment = experiments.create(
            session,
            principal,
            name=f"train {request['algorithm']} -> {request['register_as']}",
            group=request["register_as"],
            params={
                "algorithm": request["algorithm"],
                "target": request["target"],
                "task": request["task"],
                "test_size": request["test_size"],
                "seed": request["seed"],
                **{f"hp.{k}": v for k, v in request["hyperparameters"].items()},
            },
            tags={
                "training_job_id": ctx.job_id,
                "training_attempt": str(ctx.attempt),
                "dataset_id": dataset.id,
            },
        )
        experiment_id = experiment.id
    sink.mirror("maestro_ml_experiments_total", {**tenant, "status": "started"})

    def finish(status: str) -> None:
        try:
            with ctx.db.session() as session:
                experiments.finish(session, principal, experiment_id, status)
        except Exception:  # never hide why the job itself ended
            logger.exception("job %s: cannot finish experiment %s", ctx.job_id, experiment_id)
            return
        sink.mirror("maestro_ml_experiments_total", {**tenant, "status": status})

    try:
        result = _train(ctx, frame, request)
        version = _register(ctx, principal, sink, request, result, experiment_id, dataset.id)
        _log_metrics(ctx, experiments, principal, experiment_id, result)
    except (JobCancelled, TrainingCancelled) as exc:
        finish("cancelled")
        raise JobCancelled(str(exc)) from exc
    except TrainingError as exc:
        finish("failed")
        raise JobFailed(str(exc)) from exc
    except MaestroError as exc:  # e.g. a quota reached while registering the version
        finish("failed")
        raise JobFailed(exc.message) from exc
    except BaseException:
        finish("failed")
        raise
    finish("completed")
    ctx.progress("done", 100.0)
    training = result.to_dict()
    training.update(
        test_size=request["test_size"],
        seed=request["seed"],
        evaluation_slices=request["evaluation_slices"],
        dataset_id=dataset.id,
    )
    return {
        "model": request["register_as"],
        "model_version": version,
        "experiment_id": experiment_id,
        "training": training,
    }


def _earlier_version(ctx: JobContext, principal: Principal) -> VersionDetails | None:
    registry = RegistryService(ctx.quotas, ctx.artifacts, max_upload_bytes=0)
    with ctx.db.session() as session:
        return registry.version_of_job(session, principal, ctx.job_id)


def _fail_interrupted_attempts(
    ctx: JobContext,
    experiments: ExperimentService,
    principal: Principal,
    sink: JobMetrics,
    *,
    keep: str | None,
) -> None:
    """Experiments of earlier attempts still `running` were interrupted: they failed."""
    with ctx.db.read_session() as session:
        running = running_experiments_of_job(session, ctx.tenant_id, ctx.job_id)
    for experiment_id in running:
        if experiment_id == keep:
            continue
        try:
            with ctx.db.session() as session:
                experiments.finish(session, principal, experiment_id, "failed")
        except Conflict:
            continue  # finished meanwhile
        logger.warning(
            "job %s attempt %s: experiment %s of an interrupted attempt marked failed",
            ctx.job_id,
            ctx.attempt,
            experiment_id,
        )
        sink.mirror(
            "maestro_ml_experiments_total",
            {"tenant_id": principal.tenant_slug or "", "status": "failed"},
        )


def _resume(
    ctx: JobContext,
    experiments: ExperimentService,
    principal: Principal,
    sink: JobMetrics,
    request: dict[str, Any],
    earlier: VersionDetails,
) -> dict[str, Any]:
    """An earlier attempt registered the model before it was killed: finish its work, once."""
    meta = dict(earlier.version.metadata_ or {})
    experiment_id = meta.get("source_experiment_id")
    logger.warning(
        "job %s attempt %s: version %s of %r was registered by an earlier attempt; reusing it",
        ctx.job_id,
        ctx.attempt,
        earlier.version.version,
        earlier.model_name,
    )
    if isinstance(experiment_id, str):
        _complete_experiment(ctx, experiments, principal, sink, experiment_id, meta)
    ctx.progress("done", 100.0)
    training = {
        key: meta.get(key)
        for key in (
            "task",
            "algorithm",
            "hyperparameters",
            "target",
            "features",
            "dropped_features",
            "input_schema",
            "classes",
            "metrics",
            "slice_metrics",
            "rows",
            "duration_seconds",
        )
    }
    training.update(
        confusion_matrix=None,
        test_size=request["test_size"],
        seed=request["seed"],
        evaluation_slices=request["evaluation_slices"],
        dataset_id=meta.get("dataset_id"),
    )
    return {
        "model": earlier.model_name,
        "model_version": earlier.version.version,
        "experiment_id": experiment_id,
        "training": training,
    }


def _complete_experiment(
    ctx: JobContext,
    experiments: ExperimentService,
    principal: Principal,
    sink: JobMetrics,
    experiment_id: str,
    meta: dict[str, Any],
) -> None:
    """The experiment that produced the registered version: its metrics, then `completed`."""
    with ctx.db.session() as session:
        try:
            experiment = experiments.get(session, principal, experiment_id)
        except NotFound:
            return
        if experiment.status != "running":
            return  # the killed attempt got this far itself
        points = [
            MetricValue(name=name, value=value)
            for name, value in (meta.get("metrics") or {}).items()
            if isinstance(value, int | float)
        ]
        if isinstance(meta.get("duration_seconds"), int | float):
            points.append(MetricValue(name="training_seconds", value=meta["duration_seconds"]))
        if points and not experiments.latest_metrics(session, experiment_id):
            experiments.log_metrics(session, principal, experiment_id, points)
    try:
        with ctx.db.session() as session:
            experiments.finish(session, principal, experiment_id, "completed")
    except Conflict:
        return
    sink.mirror(
        "maestro_ml_experiments_total",
        {"tenant_id": principal.tenant_slug or "", "status": "completed"},
    )


def _check_classes(frame: pl.DataFrame, request: dict[str, Any]) -> None:
    target = request["target"]
    if target not in frame.columns:
        raise JobFailed(f"target column '{target}' is not in the dataset any more")
    labels = frame[target].drop_nulls()
    if labels.len() == 0:
        raise JobFailed(f"target column '{target}' has no non-null value")
    task = resolve_task(request["task"], labels)
    classes = labels.n_unique()
    if task == "classification" and classes > MAX_CLASSES:
        raise JobFailed(
            f"target column '{target}' has {classes} distinct values; classification supports "
            f"at most {MAX_CLASSES} classes (use task=regression for a numeric target)"
        )


def _train(ctx: JobContext, frame: pl.DataFrame, request: dict[str, Any]) -> TrainingResult:
    low, high = _TRAIN_SPAN

    def on_progress(stage: str, percent: float) -> None:
        ctx.progress(stage, low + (high - low) * percent / 100.0)

    return train(
        frame,
        request["target"],
        request["algorithm"],
        task=request["task"],
        hyperparameters=request["hyperparameters"],
        features=request["feature_columns"],
        test_size=request["test_size"],
        seed=request["seed"],
        evaluation_slices=request["evaluation_slices"],
        on_progress=on_progress,
        cancel_check=lambda: ctx.cancel_requested,
        max_artifact_bytes=ctx.settings.max_upload_bytes,  # what the registry would accept
    )


def _register(
    ctx: JobContext,
    principal: Principal,
    sink: JobMetrics,
    request: dict[str, Any],
    result: TrainingResult,
    experiment_id: str,
    dataset_id: str,
) -> int:
    """Register the skops artifact with full metadata; mirrors the registry's metrics."""
    ctx.progress("register", 92.0)
    registry = RegistryService(
        ctx.quotas, ctx.artifacts, max_upload_bytes=ctx.settings.max_upload_bytes
    )
    name = request["register_as"]
    tenant = {"tenant_id": principal.tenant_slug or ""}
    metadata = version_metadata(request, result, experiment_id, dataset_id, ctx.job_id)
    existed = _model_exists(ctx, registry, principal, name)
    status = "failure"
    try:
        with ctx.db.session() as session:
            details = registry.register_version_bytes(
                session,
                principal,
                name,
                result.artifact,
                "skops",
                metadata,
                source_job_id=ctx.job_id,
            )
            number = details.version.version
        status = "success"
    finally:
        if not existed and status == "success":
            created = {**tenant, "operation": "create", "status": "success"}
            sink.mirror("maestro_ml_model_operations_total", created)
        sink.mirror(
            "maestro_ml_model_operations_total",
            {**tenant, "operation": "register_version", "status": status},
        )
    sink.mirror("maestro_ml_model_size_bytes", {}, float(len(result.artifact)))
    return number


def _model_exists(
    ctx: JobContext, registry: RegistryService, principal: Principal, name: str
) -> bool:
    try:
        with ctx.db.session() as session:
            registry.get_model(session, principal, name)
    except NotFound:
        return False
    return True


def version_metadata(
    request: dict[str, Any],
    result: TrainingResult,
    experiment_id: str,
    dataset_id: str,
    job_id: str,
) -> dict[str, Any]:
    """Everything a registered version should say about how it was made (within 64 KiB)."""
    data = result.to_dict()
    metadata: dict[str, Any] = {
        "framework": "scikit-learn",
        "task": data["task"],
        "algorithm": data["algorithm"],
        "params": data["hyperparameters"],
        "hyperparameters": data["hyperparameters"],
        "target": data["target"],
        "features": data["features"],
        "dropped_features": data["dropped_features"],
        "classes": data["classes"],
        "metrics": {k: v for k, v in data["metrics"].items() if v is not None},
        "slice_metrics": data["slice_metrics"],
        "input_schema": data["input_schema"],
        "dataset_id": dataset_id,
        "training_job_id": job_id,
        "source_job_id": job_id,
        "source_experiment_id": experiment_id,
        "duration_seconds": data["duration_seconds"],
        "rows": data["rows"],
        "test_size": request["test_size"],
        "seed": request["seed"],
    }
    # What does not fit stays in the training job's result, which the card also reads.
    for bulky in ("slice_metrics", "classes", "dropped_features"):
        if len(json.dumps(metadata, default=str).encode()) <= MAX_METADATA_BYTES:
            break
        metadata[bulky] = None
    return metadata


def _log_metrics(
    ctx: JobContext,
    experiments: ExperimentService,
    principal: Principal,
    experiment_id: str,
    result: TrainingResult,
) -> None:
    points = [
        MetricValue(name=name, value=value)
        for name, value in result.metrics.items()
        if value is not None
    ]
    points.append(MetricValue(name="training_seconds", value=result.duration_seconds))
    with ctx.db.session() as session:
        experiments.log_metrics(session, principal, experiment_id, points)


register_job_kind(TRAINING_KIND, run_training, uses_concurrency_slot=True)
