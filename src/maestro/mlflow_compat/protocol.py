"""MLflow's JSON shapes (the proto3 JSON of `service.proto` and `model_registry.proto`)."""

from collections.abc import Mapping
from typing import Any

from maestro.db.models import MlflowExperiment, MlflowLoggedModel
from maestro.mlflow_compat.models import logged_model_artifact_path, version_meta
from maestro.mlflow_compat.tracking import (
    TO_MLFLOW,
    RunView,
    experiment_artifact_location,
    millis,
    run_artifact_path,
)
from maestro.services.experiments import MetricValue
from maestro.services.registry import ModelDetails, VersionDetails

ARTIFACT_SCHEME = "mlflow-artifacts:/"


def key_values(values: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"key": k, "value": str(v)} for k, v in values.items()]


def experiment_json(experiment: MlflowExperiment) -> dict[str, Any]:
    return {
        "experiment_id": experiment.id,
        "name": experiment.name,
        "artifact_location": experiment_artifact_location(experiment.id),
        "lifecycle_stage": experiment.lifecycle_stage,
        "last_update_time": millis(experiment.updated_at),
        "creation_time": millis(experiment.created_at),
        "tags": key_values(experiment.tags),
    }


def metric_json(point: MetricValue) -> dict[str, Any]:
    return {
        "key": point.name,
        "value": point.value,
        "timestamp": millis(point.timestamp),
        "step": point.step,
    }


def run_info_json(view: RunView) -> dict[str, Any]:
    run = view.experiment
    info = {
        "run_id": run.id,
        "run_uuid": run.id,
        "run_name": run.name,
        "experiment_id": view.mlflow.experiment_id,
        "user_id": str(run.tags.get("mlflow.user", "")),
        "status": TO_MLFLOW.get(run.status, "RUNNING"),
        "start_time": millis(run.created_at),
        "artifact_uri": ARTIFACT_SCHEME + run_artifact_path(view.mlflow.experiment_id, run.id),
        "lifecycle_stage": view.mlflow.lifecycle_stage,
    }
    if run.finished_at is not None:
        info["end_time"] = millis(run.finished_at)
    return info


def run_json(view: RunView) -> dict[str, Any]:
    return {
        "info": run_info_json(view),
        "data": {
            "metrics": [metric_json(p) for p in view.metrics.values()],
            "params": key_values(view.experiment.params),
            "tags": key_values(view.experiment.tags),
        },
        "inputs": {},
        "outputs": {},
    }


def logged_model_json(model: MlflowLoggedModel) -> dict[str, Any]:
    info = {
        "model_id": model.id,
        "experiment_id": model.experiment_id,
        "name": model.name,
        "creation_timestamp_ms": millis(model.created_at),
        "last_updated_timestamp_ms": millis(model.updated_at),
        "artifact_uri": ARTIFACT_SCHEME + logged_model_artifact_path(model.experiment_id, model.id),
        "status": model.status,
        "tags": key_values(model.tags),
    }
    if model.source_run_id:
        info["source_run_id"] = model.source_run_id
    if model.model_type:
        info["model_type"] = model.model_type
    return {"info": info, "data": {"params": key_values(model.params), "metrics": []}}


def version_json(details: VersionDetails) -> dict[str, Any]:
    version = details.version
    meta = version_meta(details)
    body = {
        "name": details.model_name,
        "version": str(version.version),
        "creation_timestamp": millis(version.created_at),
        "last_updated_timestamp": millis(version.updated_at),
        "current_stage": "None",
        "description": meta.get("description", ""),
        "source": meta.get("source", ""),
        "run_id": meta.get("run_id") or "",
        "status": "READY",
        "tags": key_values(meta.get("tags") or {}),
        "aliases": list(details.aliases),
    }
    if meta.get("model_id"):
        body["model_id"] = meta["model_id"]
    return body


def registered_model_json(
    details: ModelDetails, latest: VersionDetails | None = None
) -> dict[str, Any]:
    model = details.model
    body = {
        "name": model.name,
        "creation_timestamp": millis(model.created_at),
        "last_updated_timestamp": millis(model.updated_at),
        "description": model.description,
        "tags": key_values(model.tags),
        "aliases": [{"alias": a, "version": str(n)} for a, n in details.aliases.items()],
    }
    if latest is not None:
        body["latest_versions"] = [version_json(latest)]
    return body
