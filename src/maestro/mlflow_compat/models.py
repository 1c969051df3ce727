"""MLflow 3 logged models, and the MLflow model registry on Maestro's registry service.

A model version created through MLflow is registered by `RegistryService` like any upload (same
`models`/`storage_bytes` quotas, operation metrics and clean-up): its artifact is a zip of the
MLflow model directory, format `mlflow`, and `metadata.mlflow` keeps what MLflow shows (source,
run, logged model, description, tags) plus `servable`: the ONNX or skops file inside the
directory that Maestro's predict can serve, if any. Nothing in the directory is ever unpickled.
"""

import tempfile
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maestro.db.models import MlflowLoggedModel, MlflowRun
from maestro.errors import NotFound, ValidationFailed
from maestro.mlflow_compat.artifacts import ArtifactProxy, SessionFactory, clean_path
from maestro.mlflow_compat.errors import invalid
from maestro.mlflow_compat.tracking import TrackingService, run_artifact_path
from maestro.services.principal import Principal
from maestro.services.registry import RegistryService, VersionDetails

MLFLOW_FORMAT = "mlflow"
LOGGED_MODEL_STATUSES = ("LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED")
# Files Maestro can serve from inside an MLflow model directory, by extension.
SERVABLE_EXTENSIONS = {".onnx": "onnx", ".skops": "skops"}
_SPOOL_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Servable:
    path: str
    format: str


def logged_model_artifact_path(experiment_id: str, model_id: str) -> str:
    return f"{experiment_id}/models/{model_id}/artifacts"


def find_servable(paths: Sequence[str]) -> Servable | None:
    """The ONNX or skops file of a model directory (the shallowest, then by name)."""
    candidates = sorted(
        (p.count("/"), p, fmt)
        for p in paths
        for ext, fmt in SERVABLE_EXTENSIONS.items()
        if p.lower().endswith(ext)
    )
    return Servable(candidates[0][1], candidates[0][2]) if candidates else None


class ModelBridge:
    def __init__(
        self, registry: RegistryService, tracking: TrackingService, artifacts: ArtifactProxy
    ) -> None:
        self.registry = registry
        self.tracking = tracking
        self.artifacts = artifacts

    # --- logged models -------------------------------------------------------------------------

    def create_logged_model(
        self,
        session: Session,
        principal: Principal,
        *,
        experiment_id: str,
        name: str | None,
        model_type: str | None,
        source_run_id: str | None,
        params: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> MlflowLoggedModel:
        principal.require_write()
        experiment = self.tracking.get_experiment(session, principal, experiment_id, create=True)
        if source_run_id:
            self.tracking.get_run(session, principal, source_run_id)  # must be the tenant's
        model = MlflowLoggedModel(
            id=f"m-{uuid.uuid4().hex}",
            tenant_id=experiment.tenant_id,
            experiment_id=experiment.id,
            name=(name or f"model-{uuid.uuid4().hex[:6]}")[:200],
            status="LOGGED_MODEL_PENDING",
            source_run_id=source_run_id or None,
            model_type=(model_type or None) and model_type[:100],
            params=dict(params),
            tags=dict(tags),
        )
        session.add(model)
        session.flush()
        return model

    def get_logged_model(
        self, session: Session, principal: Principal, model_id: str
    ) -> MlflowLoggedModel:
        model = session.scalar(
            select(MlflowLoggedModel).where(
                MlflowLoggedModel.id == model_id,
                MlflowLoggedModel.tenant_id == principal.require_tenant(),
            )
        )
        if model is None:
            raise NotFound(f"logged model {model_id!r} not found")
        return model

    def update_logged_model(
        self,
        session: Session,
        principal: Principal,
        model_id: str,
        *,
        status: str | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> MlflowLoggedModel:
        principal.require_write()
        model = self.get_logged_model(session, principal, model_id)
        if status is not None:
            if status not in LOGGED_MODEL_STATUSES:
                raise invalid(f"invalid logged model status {status!r}")
            model.status = status
        if tags:
            model.tags = {**model.tags, **tags}
        if remove_tag is not None:
            model.tags = {k: v for k, v in model.tags.items() if k != remove_tag}
        if params:
            model.params = {**model.params, **params}
        session.flush()
        return model

    def delete_logged_model(self, session: Session, principal: Principal, model_id: str) -> None:
        principal.require_write()
        session.delete(self.get_logged_model(session, principal, model_id))

    def search_logged_models(
        self, session: Session, principal: Principal, experiment_ids: Sequence[str]
    ) -> list[MlflowLoggedModel]:
        tenant_id = principal.require_tenant()
        ids = []
        for experiment_id in experiment_ids:
            try:
                ids.append(self.tracking.get_experiment(session, principal, experiment_id).id)
            except NotFound:
                continue
        statement = select(MlflowLoggedModel).where(MlflowLoggedModel.tenant_id == tenant_id)
        if experiment_ids:
            statement = statement.where(MlflowLoggedModel.experiment_id.in_(ids))
        return list(session.scalars(statement.order_by(MlflowLoggedModel.created_at.desc())).all())

    # --- model versions ------------------------------------------------------------------------

    def resolve_source(self, session: Session, principal: Principal, source: str) -> str:
        """The artifact-proxy path of a `models:/`, `runs:/` or `mlflow-artifacts:/` source."""
        if source.startswith("models:/m-"):
            model_id = source.removeprefix("models:/").split("/", 1)[0]
            model = self.get_logged_model(session, principal, model_id)
            return logged_model_artifact_path(model.experiment_id, model.id)
        if source.startswith("runs:/"):
            run_id, _, sub = source.removeprefix("runs:/").partition("/")
            view = self.tracking.get_run(session, principal, run_id)
            base = run_artifact_path(view.mlflow.experiment_id, run_id)
            return clean_path(f"{base}/{sub}" if sub.strip("/") else base)
        if source.startswith("mlflow-artifacts:"):
            rest = source.removeprefix("mlflow-artifacts:")
            if rest.startswith("//"):  # mlflow-artifacts://host:port/path
                rest = rest[2:].partition("/")[2]
            return clean_path(rest)
        if source.startswith("models:/"):
            name, _, ref = source.removeprefix("models:/").partition("/")
            if "@" in name and not ref:
                name, ref = name.split("@", 1)
            details = self.registry.get_version(session, principal, name, ref or "latest")
            return _mlflow_meta(details)["source_path"]
        raise invalid(
            f"unsupported model version source {source!r}: use runs:/, models:/ or "
            "mlflow-artifacts:/ (sources must live in this server's artifact store)"
        )

    def create_version(
        self,
        db_session: SessionFactory,
        principal: Principal,
        *,
        name: str,
        source: str,
        run_id: str | None,
        model_id: str | None,
        description: str,
        tags: Mapping[str, str],
    ) -> VersionDetails:
        """Zip the model directory and register it as the model's next `mlflow` version."""
        principal.require_write()
        with db_session() as session:
            path = self.resolve_source(session, principal, source)
            files = self.artifacts.files_under(session, principal, path)
            if run_id:
                self.tracking.get_run(session, principal, run_id)
            if model_id is None and source.startswith("models:/m-"):
                model_id = source.removeprefix("models:/").split("/", 1)[0]
            if model_id and not run_id:  # as MLflow does: the logged model's source run
                run_id = self.get_logged_model(session, principal, model_id).source_run_id
        if not files:
            raise invalid(f"no model files under {source!r}")
        servable = find_servable([relative for relative, _, _ in files])
        meta = {
            "framework": "mlflow",
            "mlflow": {
                "source": source,
                "source_path": path,
                "run_id": run_id or None,
                "model_id": model_id,
                "description": description or "",
                "tags": dict(tags),
                "servable": None
                if servable is None
                else {"path": servable.path, "format": servable.format},
            },
        }
        # Spooled: a large model directory goes to a temporary file, not into memory.
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
            with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
                for relative, key, _ in sorted(files):
                    with archive.open(relative, "w") as member:
                        for chunk in self.artifacts.chunks(key):
                            member.write(chunk)
            spool.seek(0)
            with db_session() as session:
                return self.registry.upload_version(
                    session, principal, name, spool, MLFLOW_FORMAT, meta
                )

    def update_version_meta(
        self,
        session: Session,
        principal: Principal,
        name: str,
        version: str,
        changes: Mapping[str, Any],
        *,
        remove_tag: str | None = None,
    ) -> VersionDetails:
        """Change the MLflow description or tags of a version (its artifact stays immutable)."""
        principal.require_write()
        details = self.get_version(session, principal, name, version)
        meta = dict(details.version.metadata_)
        mlflow = dict(meta.get("mlflow") or {})
        if "tags" in changes:
            mlflow["tags"] = {**(mlflow.get("tags") or {}), **changes["tags"]}
        if "description" in changes:
            mlflow["description"] = changes["description"]
        if remove_tag is not None:
            mlflow["tags"] = {
                k: v for k, v in (mlflow.get("tags") or {}).items() if k != remove_tag
            }
        meta["mlflow"] = mlflow
        details.version.metadata_ = meta
        session.flush()
        return details

    def get_version(
        self, session: Session, principal: Principal, name: str, version: str
    ) -> VersionDetails:
        if not str(version).isdigit():
            raise invalid(f"version must be a number, got {version!r}")
        return self.registry.get_version(session, principal, name, str(version))

    def versions_of(
        self, session: Session, principal: Principal, name: str
    ) -> list[VersionDetails]:
        versions: list[VersionDetails] = []
        cursor = None
        while True:
            page = self.registry.list_versions(session, principal, name, limit=500, cursor=cursor)
            versions.extend(page.items)
            if page.next_cursor is None:
                return versions
            cursor = page.next_cursor

    def run_experiment_ids(
        self, session: Session, principal: Principal, run_ids: Sequence[str]
    ) -> dict[str, str]:
        rows = session.execute(
            select(MlflowRun.run_id, MlflowRun.experiment_id).where(
                MlflowRun.tenant_id == principal.require_tenant(), MlflowRun.run_id.in_(run_ids)
            )
        )
        return {row[0]: row[1] for row in rows}


def _mlflow_meta(details: VersionDetails) -> dict[str, Any]:
    meta = details.version.metadata_.get("mlflow")
    if not isinstance(meta, dict) or "source_path" not in meta:
        raise ValidationFailed(
            f"version {details.version.version} of {details.model_name!r} is not an MLflow model"
        )
    return meta


def version_meta(details: VersionDetails) -> dict[str, Any]:
    meta = details.version.metadata_.get("mlflow")
    return meta if isinstance(meta, dict) else {}
