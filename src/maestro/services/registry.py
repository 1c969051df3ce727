"""Model registry: models, immutable versions with artifacts, aliases and deployment records.

Artifacts go to the artifact store under server-generated keys; the database row, the
`storage_bytes` quota and the object move together: if the row or the quota fails, the object is
deleted, and a model's objects are deleted only after the transaction deleting it commits.

A skops upload that is a readable archive must pass the artifact policy
(`maestro.ml.artifact_policy`: archive limits, no file-reading, caching, forking or callable
parameters) or it is refused as `unsupported_artifact` and nothing is kept. Loading and
prediction are not here: `maestro.services.serving` runs them in sandboxed worker processes.

A `{version}` reference is a version number (`3`), an alias (`production`) or `latest`.
Operation metrics: create, update (including alias changes), delete, deploy, undeploy and
register_version, each counted as success or failure.
"""

import io
import json
import logging
import re
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maestro.db.base import new_id, utcnow
from maestro.db.models import ModelAlias, ModelDeployment, ModelVersion, RegisteredModel
from maestro.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from maestro.ml.artifact_policy import ArchiveLimits, ArtifactPolicyError, check_skops
from maestro.ml.errors import UntrustedArtifactError
from maestro.ml.serialization import sniff_format
from maestro.observability import metrics
from maestro.services.json_values import parse_json
from maestro.services.pagination import Page, paginate
from maestro.services.principal import Principal
from maestro.services.quotas import QuotaPolicy
from maestro.services.transactions import after_commit, after_rollback
from maestro.storage import ArtifactNotFound, ArtifactStore, ArtifactTooLarge

logger = logging.getLogger("maestro.registry")

FORMATS = ("skops", "onnx", "other", "mlflow")  # mlflow: a zipped MLflow model directory
SERVABLE_FORMATS = ("skops", "onnx")
LATEST = "latest"
MAX_INSTANCES = 10_000
MAX_METADATA_BYTES = 64 * 1024
MAX_TAGS = 50
UNSUPPORTED_ARTIFACT = "unsupported_artifact"

MODEL_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$")
# An alias starts with a letter, so it can never be mistaken for a version number.
ALIAS = re.compile(r"^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Find the tenant's model by name and take its next version number in one statement.
_BUMP_LATEST = (
    update(RegisteredModel)
    .where(
        RegisteredModel.tenant_id == bindparam("b_tenant"),
        RegisteredModel.name == bindparam("b_name"),
    )
    .values(latest_version=RegisteredModel.latest_version + 1)
    .returning(RegisteredModel.id, RegisteredModel.name, RegisteredModel.latest_version)
)
_INSERT_VERSION = insert(ModelVersion.__table__)  # Core: column names, no ORM bulk path
# A plain UPDATE: no ORM objects to find and synchronize in the session.
_CORE = {"synchronize_session": False}
_SPOOL_IN_MEMORY_BYTES = 16 * 1024 * 1024
_TAG_KEY = re.compile(r"^[A-Za-z0-9_.:/-]{1,100}$")
_MAX_TAG_VALUE = 500
TAG_KEY, MAX_TAG_VALUE = _TAG_KEY, _MAX_TAG_VALUE  # documented in the API schema


@dataclass(frozen=True)
class Deployment:
    version: int
    version_id: str
    deployed_at: Any


@dataclass(frozen=True)
class ModelDetails:
    model: RegisteredModel
    aliases: dict[str, int]
    deployment: Deployment | None


@dataclass(frozen=True)
class VersionDetails:
    model_name: str
    version: ModelVersion
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ServedVersion:
    """What loading needs, copied out of the session so it can run outside the transaction."""

    model_name: str
    version_id: str
    number: int
    format: str
    storage_key: str
    sha256: str
    input_schema: Mapping[str, str] | None
    feature_names: list[str] | None = None
    # For an `mlflow` version: the servable file inside the zipped MLflow model directory.
    member: str | None = None


def _count(principal: Principal, operation: str, status: str) -> None:
    metrics.MODEL_OPERATIONS.labels(
        tenant_id=principal.tenant_slug or metrics.ANONYMOUS_TENANT,
        operation=operation,
        status=status,
    ).inc()


@contextmanager
def _operation(
    principal: Principal, operation: str, session: Session | None = None
) -> Iterator[None]:
    """Count the operation once: failure if refused or errored, else by its transaction's fate.

    With a session, success is counted when the caller's transaction commits, and a rollback
    after the service returned counts as a failure.
    """
    try:
        yield
    except BaseException:
        _count(principal, operation, "failure")
        raise
    if session is None:
        _count(principal, operation, "success")
    else:
        after_commit(session, lambda: _count(principal, operation, "success"))
        after_rollback(session, lambda: _count(principal, operation, "failure"))


#: The same counting for the deploy path, which lives in `maestro.services.serving`.
count_operation = _operation


class RegistryService:
    def __init__(
        self,
        quota_policy: QuotaPolicy,
        artifacts: ArtifactStore,
        *,
        max_upload_bytes: int,
        artifact_limits: ArchiveLimits | None = None,
    ) -> None:
        self.quotas = quota_policy
        self.artifacts = artifacts
        self.max_upload_bytes = max_upload_bytes
        self.artifact_limits = artifact_limits or ArchiveLimits()

    # --- models ------------------------------------------------------------------------------

    def create_model(
        self,
        session: Session,
        principal: Principal,
        name: str,
        description: str = "",
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        with _operation(principal, "create", session):
            tenant_id = principal.require_tenant()
            principal.require_write()
            _check_name(name)
            tags = _check_tags(tags)
            if self._find_model(session, tenant_id, name) is not None:
                raise Conflict(f"model {name!r} already exists")
            self.quotas.consume(session, tenant_id, "models")
            model = RegisteredModel(
                tenant_id=tenant_id, name=name, description=description, tags=tags
            )
            session.add(model)
            try:
                session.flush()
            except IntegrityError as exc:
                raise Conflict(f"model {name!r} already exists") from exc
            return model

    def list_models(
        self,
        session: Session,
        principal: Principal,
        *,
        limit: int,
        cursor: str | None,
        search: str | None = None,
        newest_first: bool = False,
    ) -> Page[ModelDetails]:
        """The tenant's models; `search` keeps those whose name contains it (case-insensitive)."""
        tenant_id = principal.require_tenant()
        statement = select(RegisteredModel).where(RegisteredModel.tenant_id == tenant_id)
        if search:
            statement = statement.where(RegisteredModel.name.icontains(search, autoescape=True))
        page = paginate(
            session,
            statement,
            created_at=RegisteredModel.created_at,
            row_id=RegisteredModel.id,
            limit=limit,
            cursor=cursor,
            newest_first=newest_first,
        )
        return Page(items=self._details_of(session, page.items), next_cursor=page.next_cursor)

    def get_model(self, session: Session, principal: Principal, name: str) -> ModelDetails:
        model = self._model(session, principal.require_tenant(), name)
        return self._details(session, model)

    def update_model(
        self,
        session: Session,
        principal: Principal,
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ModelDetails:
        """Change the description and/or replace the tags; omitted fields are left as they are."""
        with _operation(principal, "update", session):
            tenant_id = principal.require_tenant()
            principal.require_write()
            model = self._model(session, tenant_id, name)
            if description is not None:
                model.description = description
            if tags is not None:
                model.tags = _check_tags(tags)
            session.flush()
            return self._details(session, model)

    def delete_model(self, session: Session, principal: Principal, name: str) -> None:
        """Delete the model with its versions, aliases and deployment, and release their quota.

        The artifacts are deleted once the transaction commits: a rolled-back delete keeps them.
        """
        with _operation(principal, "delete", session):
            tenant_id = principal.require_tenant()
            principal.require_write()
            model = self._model(session, tenant_id, name, lock=True)
            stored = session.execute(
                select(ModelVersion.id, ModelVersion.storage_key, ModelVersion.size_bytes).where(
                    ModelVersion.model_id == model.id
                )
            ).all()
            deployed = session.scalar(
                select(ModelDeployment.id).where(ModelDeployment.model_id == model.id)
            )
            if deployed is not None:
                self.quotas.release(session, tenant_id, "deployments")
            total_bytes = sum(row.size_bytes for row in stored)
            if total_bytes:
                self.quotas.release(session, tenant_id, "storage_bytes", total_bytes)
            self.quotas.release(session, tenant_id, "models")
            # The foreign keys cascade to versions, aliases and the deployment.
            session.execute(delete(RegisteredModel).where(RegisteredModel.id == model.id))
            keys = [row.storage_key for row in stored]

            def purge() -> None:
                for key in keys:
                    self._discard_artifact(key)

            after_commit(session, purge)

    # --- versions ----------------------------------------------------------------------------

    def upload_version(
        self,
        session: Session,
        principal: Principal,
        model_name: str,
        source: BinaryIO,
        artifact_format: str,
        metadata: str | Mapping[str, Any] | None = None,
        *,
        create_model_if_missing: bool = False,
        source_job_id: str | None = None,
    ) -> VersionDetails:
        """Stream `source` to the artifact store and register it as the model's next version.

        Call it before anything else in the session: the upload runs before the first query, so
        no database transaction (on SQLite, the write lock) is held while bytes stream. The
        object is deleted again if anything fails, here or when the caller's transaction rolls
        back, so a failed upload never leaves storage or `storage_bytes` behind.
        """
        with _operation(principal, "register_version", session):
            tenant_id = principal.require_tenant()
            principal.require_write()
            _check_format(artifact_format)
            meta = _parse_metadata(metadata)
            if not create_model_if_missing:
                _check_name(model_name)
            key = f"tenants/{tenant_id}/model-versions/{uuid.uuid4().hex}"
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
            if artifact_format == "skops":
                source = _Tee(source, spool)
            try:
                stored = self.artifacts.put(key, source, max_bytes=self.max_upload_bytes)
            except ArtifactTooLarge as exc:
                raise PayloadTooLarge(
                    f"artifact exceeds the upload limit of {exc.limit} bytes",
                    details={"limit_bytes": exc.limit},
                ) from exc
            try:
                if stored.size_bytes == 0:
                    raise ValidationFailed("the artifact is empty", details={"file": "empty"})
                if artifact_format == "skops":
                    self._check_policy(spool)
                model_id, name, number = self._bump_for_upload(
                    session, principal, model_name, create=create_model_if_missing
                )
                version = self._insert_version(
                    session,
                    principal,
                    model_id,
                    number,
                    artifact_format,
                    meta,
                    key,
                    stored,
                    source_job_id,
                )
            except BaseException:
                self._discard_artifact(key)
                raise
            finally:
                spool.close()
            after_rollback(session, lambda: self._discard_artifact(key))
            after_commit(session, lambda: metrics.MODEL_SIZE_BYTES.observe(stored.size_bytes))
            return VersionDetails(model_name=name, version=version, aliases=[])

    def _check_policy(self, spool: BinaryIO) -> None:
        """Refuse a readable skops archive that breaks the artifact policy.

        Bytes that are not a readable archive (or pickle posing as skops) are kept: they are
        stored and downloadable, and deploy refuses them.
        """
        spool.seek(0)
        data = spool.read()
        if sniff_format(data) != "skops":
            return
        try:
            check_skops(data, self.artifact_limits)
        except ArtifactPolicyError as exc:
            raise BadRequest(str(exc), code=UNSUPPORTED_ARTIFACT, details=exc.details) from exc
        except UntrustedArtifactError:
            return

    def register_version_bytes(
        self,
        session: Session,
        principal: Principal,
        model_name: str,
        data: bytes,
        artifact_format: str = "skops",
        metadata: Mapping[str, Any] | None = None,
        *,
        create_model_if_missing: bool = True,
        source_job_id: str | None = None,
    ) -> VersionDetails:
        """Register an artifact already in memory (e.g. a training job's skops bytes).

        Same checks, quotas, metrics and clean-up as an upload; with `create_model_if_missing`
        the model is created first (consuming the `models` quota) when it does not exist.
        `source_job_id` is unique across versions: a job registers at most one.
        """
        return self.upload_version(
            session,
            principal,
            model_name,
            io.BytesIO(data),
            artifact_format,
            metadata,
            create_model_if_missing=create_model_if_missing,
            source_job_id=source_job_id,
        )

    def version_of_job(
        self, session: Session, principal: Principal, job_id: str
    ) -> VersionDetails | None:
        """The version a job registered, if it did (how a retried job finds its earlier work)."""
        row = session.execute(
            select(ModelVersion, RegisteredModel.name)
            .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
            .where(
                ModelVersion.source_job_id == job_id,
                ModelVersion.tenant_id == principal.require_tenant(),
            )
        ).one_or_none()
        if row is None:
            return None
        version, name = row
        return VersionDetails(model_name=name, version=version, aliases=[])

    def list_versions(
        self,
        session: Session,
        principal: Principal,
        name: str,
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[VersionDetails]:
        model = self._model(session, principal.require_tenant(), name)
        page = paginate(
            session,
            select(ModelVersion).where(ModelVersion.model_id == model.id),
            created_at=ModelVersion.created_at,
            row_id=ModelVersion.id,
            limit=limit,
            cursor=cursor,
        )
        aliases = self._aliases_by_version(session, model.id)
        items = [VersionDetails(model.name, v, aliases.get(v.id, [])) for v in page.items]
        return Page(items=items, next_cursor=page.next_cursor)

    def get_version(
        self, session: Session, principal: Principal, name: str, ref: str
    ) -> VersionDetails:
        model = self._model(session, principal.require_tenant(), name)
        version = self._version(session, model, ref)
        aliases = self._aliases_by_version(session, model.id).get(version.id, [])
        return VersionDetails(model.name, version, aliases)

    def open_artifact(
        self, session: Session, principal: Principal, name: str, ref: str
    ) -> tuple[ModelVersion, Iterator[bytes]]:
        """The version and its artifact's chunks (read lazily, after the transaction ends)."""
        model = self._model(session, principal.require_tenant(), name)
        version = self._version(session, model, ref)
        try:
            return version, self.artifacts.open(version.storage_key)
        except ArtifactNotFound as exc:
            raise NotFound(f"the artifact of {name} version {version.version} is missing") from exc

    # --- aliases -----------------------------------------------------------------------------

    def set_alias(
        self, session: Session, principal: Principal, name: str, alias: str, number: int
    ) -> ModelAlias:
        """Point `alias` at version `number` (creating or moving it); counted as an update."""
        with _operation(principal, "update", session):
            tenant_id = principal.require_tenant()
            principal.require_write()
            _check_alias(alias)
            model = self._model(session, tenant_id, name, lock=True)
            version = self._version(session, model, str(number))
            row = session.scalar(
                select(ModelAlias).where(ModelAlias.model_id == model.id, ModelAlias.alias == alias)
            )
            if row is None:
                row = ModelAlias(
                    tenant_id=tenant_id, model_id=model.id, alias=alias, version_id=version.id
                )
                session.add(row)
            else:
                row.version_id = version.id
            session.flush()
            return row

    def delete_alias(self, session: Session, principal: Principal, name: str, alias: str) -> None:
        with _operation(principal, "update", session):
            tenant_id = principal.require_tenant()
            principal.require_write()
            model = self._model(session, tenant_id, name)
            deleted = session.execute(
                delete(ModelAlias).where(ModelAlias.model_id == model.id, ModelAlias.alias == alias)
            )
            if deleted.rowcount == 0:
                raise NotFound(f"alias {alias!r} of model {name!r} not found")

    # --- deployment (loading and prediction live in maestro.services.serving) --------------

    def resolve_target(
        self, session: Session, principal: Principal, name: str, ref: str
    ) -> ServedVersion:
        """What deploying version `ref` would serve, copied out of the session."""
        model = self._model(session, principal.require_tenant(), name)
        return _served(model, self._version(session, model, ref))

    def deployed_target(self, session: Session, tenant_id: str, name: str) -> ServedVersion:
        """The deployed version of the tenant's model; a model not deployed is a conflict."""
        model = self._model(session, tenant_id, name)
        version = session.scalar(
            select(ModelVersion)
            .join(ModelDeployment, ModelDeployment.version_id == ModelVersion.id)
            .where(ModelDeployment.model_id == model.id)
        )
        if version is None:
            raise Conflict(f"model {name!r} is not deployed", details={"model": name})
        return _served(model, version)

    def record_deployment(
        self, session: Session, principal: Principal, name: str, target: ServedVersion, ref: str
    ) -> Deployment:
        """Point the model's deployment at `target` (already proven servable).

        The first deployment of a model consumes one `deployments`; replacing it does not.
        """
        tenant_id = principal.require_tenant()
        model = self._model(session, tenant_id, name, lock=True)
        version = session.get(ModelVersion, target.version_id)
        if version is None or version.model_id != model.id:
            raise NotFound(f"version {ref!r} of model {name!r} not found")
        deployment = session.scalar(
            select(ModelDeployment).where(ModelDeployment.model_id == model.id)
        )
        if deployment is None:
            self.quotas.consume(session, tenant_id, "deployments")
            deployment = ModelDeployment(
                tenant_id=tenant_id, model_id=model.id, version_id=version.id
            )
            session.add(deployment)
        elif deployment.version_id != version.id:
            deployment.version_id = version.id
        session.flush()
        return Deployment(version.version, version.id, deployment.updated_at)

    def undeploy(self, session: Session, principal: Principal, name: str) -> None:
        with _operation(principal, "undeploy", session):
            tenant_id = principal.require_tenant()
            principal.require_write()
            model = self._model(session, tenant_id, name, lock=True)
            deleted = session.execute(
                delete(ModelDeployment).where(ModelDeployment.model_id == model.id)
            )
            if deleted.rowcount == 0:
                raise Conflict(f"model {name!r} is not deployed")
            self.quotas.release(session, tenant_id, "deployments")

    # --- helpers -----------------------------------------------------------------------------

    def _find_model(self, session: Session, tenant_id: str, name: str) -> RegisteredModel | None:
        return session.scalar(
            select(RegisteredModel).where(
                RegisteredModel.tenant_id == tenant_id, RegisteredModel.name == name
            )
        )

    def _model(
        self, session: Session, tenant_id: str, name: str, *, lock: bool = False
    ) -> RegisteredModel:
        """The tenant's model; locking it serializes deploy/alias/delete on PostgreSQL."""
        statement = select(RegisteredModel).where(
            RegisteredModel.tenant_id == tenant_id, RegisteredModel.name == name
        )
        if lock:
            statement = statement.with_for_update()
        model = session.scalar(statement)
        if model is None:
            raise NotFound(f"model {name!r} not found")
        return model

    def _bump_for_upload(
        self, session: Session, principal: Principal, name: str, *, create: bool
    ) -> tuple[str, str, int]:
        """Take the model's next version number: `(model id, model name, number)`.

        One UPDATE ... RETURNING keyed by tenant and name finds the model and bumps
        `latest_version` together (on PostgreSQL it also locks the row until commit).
        """
        tenant_id = principal.require_tenant()
        row = self._bump_latest(session, tenant_id, name)
        if row is not None:
            return row
        if not create:
            raise NotFound(f"model {name!r} not found")
        try:
            # A savepoint: losing a creation race to another registration is not an error.
            with session.begin_nested():
                created = self.create_model(session, principal, name)
        except Conflict:
            pass
        else:
            session.expire(created, ["latest_version"])  # the bump below is not synchronized
        row = self._bump_latest(session, tenant_id, name)
        if row is None:  # lost the race to a registration and then to a delete
            raise NotFound(f"model {name!r} not found")
        return row

    def _bump_latest(
        self, session: Session, tenant_id: str, name: str
    ) -> tuple[str, str, int] | None:
        row = session.execute(
            _BUMP_LATEST, {"b_tenant": tenant_id, "b_name": name}, execution_options=_CORE
        ).one_or_none()
        return None if row is None else (row[0], row[1], row[2])

    def _insert_version(
        self,
        session: Session,
        principal: Principal,
        model_id: str,
        number: int,
        artifact_format: str,
        meta: dict[str, Any],
        key: str,
        stored: Any,
        source_job_id: str | None = None,
    ) -> ModelVersion:
        tenant_id = principal.require_tenant()
        self.quotas.consume(session, tenant_id, "storage_bytes", stored.size_bytes)
        now = utcnow()
        row = {
            "id": new_id(),
            "tenant_id": tenant_id,
            "model_id": model_id,
            "version": number,
            "format": artifact_format,
            "storage_key": key,
            "size_bytes": stored.size_bytes,
            "sha256": stored.sha256,
            "created_by": principal.user_id,
            "source_job_id": source_job_id,
            "created_at": now,
            "updated_at": now,
        }
        # One Core INSERT, without the unit of work: the version is never changed in this
        # session, so it is returned as a detached object holding exactly the values written.
        session.execute(_INSERT_VERSION, {**row, "metadata": meta})
        return ModelVersion(**row, metadata_=meta)

    def _version(self, session: Session, model: RegisteredModel, ref: str) -> ModelVersion:
        """Resolve a number, an alias or `latest` to one of the model's versions."""
        query = select(ModelVersion).where(ModelVersion.model_id == model.id)
        if ref.isascii() and ref.isdigit():
            if len(ref) > 9:  # beyond any version number, and beyond an INTEGER column
                raise NotFound(f"version {ref!r} of model {model.name!r} not found")
            query = query.where(ModelVersion.version == int(ref))
        elif ref == LATEST:
            query = query.order_by(ModelVersion.version.desc()).limit(1)
        else:
            query = query.join(ModelAlias, ModelAlias.version_id == ModelVersion.id).where(
                ModelAlias.alias == ref
            )
        version = session.scalar(query)
        if version is None:
            raise NotFound(f"version {ref!r} of model {model.name!r} not found")
        return version

    def _aliases_by_version(self, session: Session, model_id: str) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for version_id, alias in session.execute(
            select(ModelAlias.version_id, ModelAlias.alias)
            .where(ModelAlias.model_id == model_id)
            .order_by(ModelAlias.alias)
        ):
            result.setdefault(version_id, []).append(alias)
        return result

    def _details(self, session: Session, model: RegisteredModel) -> ModelDetails:
        return self._details_of(session, [model])[0]

    def _details_of(
        self, session: Session, models: Sequence[RegisteredModel]
    ) -> list[ModelDetails]:
        """Aliases and deployment of many models in two queries (not two per model)."""
        ids = [m.id for m in models]
        aliases: dict[str, dict[str, int]] = {model_id: {} for model_id in ids}
        for model_id, alias, number in session.execute(
            select(ModelAlias.model_id, ModelAlias.alias, ModelVersion.version)
            .join(ModelVersion, ModelVersion.id == ModelAlias.version_id)
            .where(ModelAlias.model_id.in_(ids))
            .order_by(ModelAlias.alias)
        ):
            aliases[model_id][alias] = number
        deployments = {
            row.model_id: Deployment(row.version, row.id, row.updated_at)
            for row in session.execute(
                select(
                    ModelDeployment.model_id,
                    ModelVersion.version,
                    ModelVersion.id,
                    ModelDeployment.updated_at,
                )
                .join(ModelVersion, ModelVersion.id == ModelDeployment.version_id)
                .where(ModelDeployment.model_id.in_(ids))
            )
        }
        return [ModelDetails(m, aliases[m.id], deployments.get(m.id)) for m in models]

    def _discard_artifact(self, key: str) -> None:
        try:
            self.artifacts.delete(key)
        except Exception:  # never mask the original failure; the orphan is logged
            logger.exception("could not delete artifact %s", key)


def _served(model: RegisteredModel, version: ModelVersion) -> ServedVersion:
    schema = version.metadata_.get("input_schema")
    names = version.metadata_.get("feature_names")
    artifact_format, member = version.format, None
    # An MLflow model directory is served through the ONNX or skops file it holds, if any.
    servable = (version.metadata_.get("mlflow") or {}).get("servable")
    if version.format == "mlflow" and isinstance(servable, dict):
        artifact_format, member = str(servable.get("format")), str(servable.get("path"))
    return ServedVersion(
        model_name=model.name,
        version_id=version.id,
        number=version.version,
        format=artifact_format,
        storage_key=version.storage_key,
        sha256=version.sha256,
        input_schema=schema if _is_schema(schema) else None,
        feature_names=names if _is_names(names) else None,
        member=member,
    )


def _is_schema(value: Any) -> bool:
    """A platform-trained model's input schema: feature name -> dtype name."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    )


def _is_names(value: Any) -> bool:
    """Feature names in column order, for a model whose input is one matrix (e.g. ONNX)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not MODEL_NAME.fullmatch(name):
        raise ValidationFailed(
            "invalid model name: 1-100 characters of a-z, 0-9, '.', '_' and '-', starting and "
            "ending with a letter or digit",
            details={"name": "invalid"},
        )


def _check_alias(alias: str) -> None:
    if alias == LATEST or not ALIAS.fullmatch(alias):
        raise ValidationFailed(
            "invalid alias: a slug starting with a letter (a-z, 0-9, '-'); 'latest' is reserved",
            details={"alias": "invalid"},
        )


def _check_format(artifact_format: str) -> None:
    if artifact_format not in FORMATS:
        raise ValidationFailed(
            f"format must be one of {', '.join(FORMATS)}", details={"format": "invalid"}
        )


def _check_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    tags = dict(tags or {})
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(f"at most {MAX_TAGS} tags", details={"tags": "too many"})
    for key, value in tags.items():
        if not _TAG_KEY.fullmatch(key) or not isinstance(value, str):
            raise ValidationFailed(f"invalid tag {key!r}", details={"tags": key})
        if len(value) > _MAX_TAG_VALUE:
            raise ValidationFailed(f"tag {key!r} is too long", details={"tags": key})
    return tags


_METADATA_TYPES: dict[str, type | tuple[type, ...]] = {
    "framework": str,
    "params": dict,
    "metrics": dict,
    "input_schema": dict,
    "source_experiment_id": str,
    "source_job_id": str,
}


def _parse_metadata(metadata: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON object; the documented keys are type-checked and everything else is kept."""
    if metadata is None or metadata == "":
        return {}
    if isinstance(metadata, str):
        if len(metadata.encode()) > MAX_METADATA_BYTES:
            raise ValidationFailed(f"metadata exceeds {MAX_METADATA_BYTES} bytes")
        parsed = parse_json(metadata, "metadata", max_bytes=MAX_METADATA_BYTES)
    else:
        # Round-trip through JSON: what is stored is exactly what the API will return, and
        # numpy scalars from a training job become plain numbers.
        text = json.dumps(dict(metadata), default=_plain)
        if len(text.encode()) > MAX_METADATA_BYTES:
            raise ValidationFailed(f"metadata exceeds {MAX_METADATA_BYTES} bytes")
        parsed = json.loads(text)
    if not isinstance(parsed, dict):
        raise ValidationFailed("metadata must be a JSON object", details={"metadata": "not object"})
    for key, expected in _METADATA_TYPES.items():
        if key in parsed and parsed[key] is not None and not isinstance(parsed[key], expected):
            raise ValidationFailed(
                f"metadata field {key!r} has the wrong type", details={"metadata": key}
            )
    metrics_ = parsed.get("metrics") or {}
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics_.values()):
        raise ValidationFailed("metadata metrics must be numbers", details={"metadata": "metrics"})
    return parsed


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    return item() if callable(item) else str(value)


class _Tee:
    """A readable stream that copies what is read from `source` into `copy`."""

    def __init__(self, source: BinaryIO, copy: BinaryIO) -> None:
        self.source = source
        self.copy = copy

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size)
        if chunk:
            self.copy.write(chunk)
        return chunk
