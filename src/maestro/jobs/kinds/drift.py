"""Job kind `drift`: compare a deployed model's reference data with its recent logged inputs.

Runs in a worker process (never in the API): reads the reference dataset, the latest
`MAESTRO_DRIFT_WINDOW_ROWS` logged rows of the deployed version, computes per-feature and
prediction drift with `maestro.ml.drift`, and stores one `drift_runs` row. Reference predictions
come from the deployed model itself on a sample of the reference, predicted by a sandboxed
serving worker as every user model is. A run that cannot be computed (no reference, too few logged
rows, the model no longer deployed) is still recorded, with a status saying why.
"""

from typing import Any

import polars as pl
from sqlalchemy import select

from maestro.db.models import (
    Dataset,
    DriftRun,
    ModelDeployment,
    ModelVersion,
    PredictionRecord,
    RegisteredModel,
)
from maestro.errors import MaestroError
from maestro.jobs import JobContext, JobFailed, register_job_kind
from maestro.ml import drift
from maestro.services.datasets import read_frame
from maestro.services.model_health import DRIFT_KIND, reference_of, version_task
from maestro.services.registry import RegistryService
from maestro.services.registry import _served as served_version
from maestro.services.serving import ServingService, artifact_limits, serving_pool

REFERENCE_SAMPLE_ROWS = 50_000
PREDICTION_SAMPLE_ROWS = 5_000


def run_drift(ctx: JobContext) -> dict[str, Any]:
    """Compute and store one drift run; a failure is stored too, so history shows every run."""
    try:
        return _run(ctx)
    except JobFailed as exc:
        run = {"model_id": ctx.payload["model_id"], "version": 0, "job_id": ctx.job_id}
        _store(ctx, run, "failed", str(exc))
        raise


def _run(ctx: JobContext) -> dict[str, Any]:
    model_id = ctx.payload["model_id"]
    ctx.progress("load", 5.0)
    with ctx.db.session() as session:
        found = session.execute(
            select(RegisteredModel, ModelVersion)
            .join(ModelDeployment, ModelDeployment.model_id == RegisteredModel.id)
            .join(ModelVersion, ModelVersion.id == ModelDeployment.version_id)
            .where(RegisteredModel.id == model_id, RegisteredModel.tenant_id == ctx.tenant_id)
        ).one_or_none()
        if found is None:
            raise JobFailed("the model is no longer deployed")
        model, version = found
        reference = reference_of(session, version)
        dataset = session.get(Dataset, reference.dataset_id) if reference.dataset_id else None
        logged = session.execute(
            select(PredictionRecord.inputs, PredictionRecord.outputs)
            .where(
                PredictionRecord.model_id == model_id,
                PredictionRecord.version == version.version,
            )
            .order_by(PredictionRecord.created_at.desc())
            .limit(ctx.settings.drift_window_rows)
        ).all()
        session.expunge_all()
    run = {"model_id": model_id, "version": version.version, "job_id": ctx.job_id}
    if dataset is None:
        return _store(ctx, run, "no_reference", "the version has no reference dataset")
    run["reference_dataset_id"] = dataset.id
    if len(logged) < drift.MIN_ROWS:
        return _store(
            ctx,
            {**run, "current_rows": len(logged)},
            "insufficient_data",
            f"{len(logged)} logged rows; drift needs at least {drift.MIN_ROWS}",
        )
    try:
        frame = read_frame(ctx.artifacts, dataset.storage_key, dataset.format)
    except Exception as exc:
        raise JobFailed(f"cannot read reference dataset '{dataset.name}': {exc}") from exc
    ctx.progress("compare", 40.0)
    metadata = version.metadata_ or {}
    inputs = _named_inputs(metadata, [row.inputs for row in logged])
    features = _features(metadata, frame, inputs)
    if frame.height > REFERENCE_SAMPLE_ROWS:
        frame = frame.sample(REFERENCE_SAMPLE_ROWS, seed=0)
    reference_frame = frame.select(features)
    current = drift.rows_frame(inputs, features)
    current = current.with_columns(
        pl.col(name).cast(reference_frame.schema[name], strict=False) for name in features
    )
    classification = version_task(metadata, logged[0].outputs.get("probabilities") is not None)
    predictions = _reference_predictions(ctx, model, version, frame, features)
    report = drift.compare(
        reference_frame,
        current,
        reference_predictions=predictions,
        current_predictions=pl.Series(
            "prediction", [row.outputs.get("prediction") for row in logged], strict=False
        ),
        prediction_kind="categorical" if classification == "classification" else "numeric",
    )
    ctx.progress("store", 90.0)
    return _store(
        ctx,
        {
            **run,
            "reference_rows": report.reference_rows,
            "current_rows": report.current_rows,
            "drifted_features": len(report.drifted),
            "drift_share": report.drift_share,
            "dataset_drift": report.dataset_drift,
            "features": [f.to_dict() for f in report.features],
            "prediction": report.prediction.to_dict() if report.prediction else None,
        },
        "completed",
        None,
    )


def _declared(metadata: dict[str, Any]) -> list[str]:
    return list(metadata.get("features") or (metadata.get("input_schema") or {}).keys())


def _named_inputs(metadata: dict[str, Any], rows: list[Any]) -> list[dict[str, Any]]:
    """Logged rows by feature name: a positional row takes the declared names, in order.

    A positional row of a model that declares no features cannot be named, so it is left out
    of the comparison (it reads as all-missing) instead of failing the run.
    """
    declared = _declared(metadata)
    return [
        row if isinstance(row, dict) else dict(zip(declared, row, strict=False)) for row in rows
    ]


def _features(
    metadata: dict[str, Any], frame: pl.DataFrame, inputs: list[dict[str, Any]]
) -> list[str]:
    """The model's input features present in the reference (training metadata, else logs)."""
    declared = _declared(metadata)
    if not declared:
        seen: dict[str, None] = {}
        for row in inputs[:100]:
            seen.update(dict.fromkeys(row))
        declared = list(seen)
    target = metadata.get("target")
    features = [f for f in declared if f in frame.columns and f != target]
    if not features:
        raise JobFailed("no input feature of the model is a column of the reference dataset")
    return features


def _reference_predictions(
    ctx: JobContext,
    model: RegisteredModel,
    version: ModelVersion,
    frame: pl.DataFrame,
    features: list[str],
) -> pl.Series | None:
    """The deployed model's predictions on a reference sample (None if it cannot be served).

    The model runs where every user model runs: in a sandboxed serving worker, never in this
    job process, which holds the database URL and the store's credentials.
    """
    target = served_version(model, version)
    registry = RegistryService(
        ctx.quotas,
        ctx.artifacts,
        max_upload_bytes=ctx.settings.max_upload_bytes,
        artifact_limits=artifact_limits(ctx.settings),
    )
    serving = ServingService(registry, serving_pool(ctx.settings))
    head = frame.head(PREDICTION_SAMPLE_ROWS)
    # A model that knows its feature names takes rows by name; one fitted without names takes
    # them by position, in the order its version declares.
    named = bool(target.input_schema or target.feature_names)
    sample: list[Any] = (
        head.to_dicts() if named else [list(r) for r in head.select(features).rows()]
    )
    try:
        predicted = serving.predict_target(target, sample)["predictions"]
    except MaestroError:  # an unservable artifact still gets its feature drift
        return None
    return pl.Series("prediction", predicted, strict=False)


def _store(ctx: JobContext, values: dict[str, Any], status: str, message: str | None) -> dict:
    with ctx.db.session() as session:
        run = DriftRun(tenant_id=ctx.tenant_id, status=status, message=message, **values)
        session.add(run)
        session.flush()
        run_id = run.id
    return {"drift_run_id": run_id, "status": status, "message": message}


register_job_kind(DRIFT_KIND, run_drift, uses_concurrency_slot=False)
