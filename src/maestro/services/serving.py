"""Deploy and predict: the service-level entry points that hand user models to the sandbox.

The registry says which version is deployed; this service reads its bytes, checks them in the
API process without loading anything (sha256, not pickle, the artifact policy), and hands them to
a sandboxed worker of `maestro.serving`, which loads and runs the model. Nothing here constructs
a user object. Deploy proves a version loads in a worker before the deployment row changes;
predict is the single entry point for online predictions (hooks such as logging go here).

Failures map to the API's codes: a refused artifact is `400 unsupported_artifact`, instances that
do not fit are `422`, and a worker that crashed, was killed or timed out is `503
serving_unavailable` (the worker is replaced; the API stays up).
"""

import hashlib
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from maestro.db.session import Database
from maestro.errors import BadRequest, NotFound, ServiceUnavailable, ValidationFailed
from maestro.ml.artifact_policy import ArchiveLimits, check_skops
from maestro.ml.errors import UntrustedArtifactError
from maestro.ml.serialization import is_pickle_like, sniff_format
from maestro.services.principal import Principal
from maestro.services.registry import (
    MAX_INSTANCES,
    SERVABLE_FORMATS,
    UNSUPPORTED_ARTIFACT,
    Deployment,
    RegistryService,
    ServedVersion,
    count_operation,
)
from maestro.serving import ArtifactRefused, InvalidInstances, WorkerPool, WorkerUnavailable
from maestro.serving.pool import WorkerConfig, shared_pool
from maestro.serving.sandbox import SandboxSpec
from maestro.settings import Settings
from maestro.storage import ArtifactNotFound

Instances = Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Prediction:
    model_name: str
    version: int
    predictions: list[Any]
    probabilities: list[list[float]] | None
    # Set by the prediction log when the request was sampled (services/prediction_log.py).
    prediction_id: str | None = None
    prediction_ids: list[str] | None = None


# Called with every successful prediction; model health logs a sample of them.
PredictionHook = Callable[[Principal, Instances, Prediction], Prediction]


class ServingService:
    # Model health: set by the app to the prediction log (services/prediction_log.py).
    prediction_hook: PredictionHook | None = None

    def __init__(
        self, registry: RegistryService, pool: WorkerPool, limits: ArchiveLimits | None = None
    ) -> None:
        self.registry = registry
        self.pool = pool
        self.limits = limits or registry.artifact_limits

    def deploy(self, db: Database, principal: Principal, name: str, ref: str) -> Deployment:
        """Serve version `ref` of the model, replacing any deployed version.

        The artifact is checked and loaded in a worker between two transactions, so a version
        that cannot be served is refused before anything changes.
        """
        with count_operation(principal, "deploy"):
            principal.require_tenant()
            principal.require_write()
            with db.session() as session:
                target = self.registry.resolve_target(session, principal, name, ref)
            data = self._read(target)
            self._translate(lambda: self.pool.load(_key(target), _request(target), data))
            with db.session() as session:
                return self.registry.record_deployment(session, principal, name, target, ref)

    def predict(
        self, db: Database, principal: Principal, name: str, instances: Instances
    ) -> Prediction:
        """Predict with the deployed version; rows that do not fit the model are a 422."""
        tenant_id = principal.require_tenant()
        if not 1 <= len(instances) <= MAX_INSTANCES:
            raise ValidationFailed(f"instances must hold between 1 and {MAX_INSTANCES} rows")
        with db.session() as session:
            target = self.registry.deployed_target(session, tenant_id, name)
        reply = self.predict_target(target, instances)
        prediction = Prediction(
            target.model_name, target.number, reply["predictions"], reply["probabilities"]
        )
        if self.prediction_hook is not None:  # model health: count and sample into the log
            prediction = self.prediction_hook(principal, instances, prediction)
        return prediction

    def predict_target(self, target: ServedVersion, instances: Instances) -> dict[str, Any]:
        """Predict with `target` in a sandboxed worker: `predictions` and `probabilities`.

        The one way any caller (the online path above, a job's batch) runs a user model.
        """
        request = {**_request(target), "rows": list(instances)}
        return self._translate(
            lambda: self.pool.predict(_key(target), request, lambda: self._read(target))
        )

    def _read(self, target: ServedVersion) -> bytes:
        """The artifact's bytes, checked here before any worker sees them."""
        if target.format not in SERVABLE_FORMATS:
            raise BadRequest(
                f"{target.format!r} artifacts are stored and downloadable but not served; "
                "only skops and onnx artifacts can be deployed",
                code=UNSUPPORTED_ARTIFACT,
                details={"format": target.format},
            )
        try:
            data = self.registry.artifacts.read_bytes(target.storage_key)
        except ArtifactNotFound as exc:
            raise NotFound(f"the artifact of version {target.number} is missing") from exc
        if hashlib.sha256(data).hexdigest() != target.sha256:
            raise BadRequest(
                "the stored artifact does not match its recorded sha256",
                code=UNSUPPORTED_ARTIFACT,
            )
        if target.member is not None:  # an MLflow model directory: serve the file it names
            data = _zip_member(data, target.member, self.limits.max_uncompressed_bytes)
        if is_pickle_like(data):
            raise BadRequest(
                "the artifact is pickle/joblib data, which is never loaded",
                code=UNSUPPORTED_ARTIFACT,
                details={"format": target.format},
            )
        if target.format == "skops":
            if sniff_format(data) != "skops":
                raise BadRequest("not a skops archive", code=UNSUPPORTED_ARTIFACT)
            try:
                check_skops(data, self.limits)
            except UntrustedArtifactError as exc:
                raise BadRequest(
                    str(exc), code=UNSUPPORTED_ARTIFACT, details=getattr(exc, "details", None)
                ) from exc
        return data

    @staticmethod
    def _translate(call: Any) -> dict[str, Any]:
        try:
            return call()
        except ArtifactRefused as exc:
            raise BadRequest(exc.message, code=UNSUPPORTED_ARTIFACT, details=exc.details) from exc
        except InvalidInstances as exc:
            raise ValidationFailed(exc.message, details=exc.details) from exc
        except WorkerUnavailable as exc:
            raise ServiceUnavailable(exc.message, details=exc.details) from exc


def _zip_member(archive: bytes, member: str, max_bytes: int) -> bytes:
    """One file of a zipped MLflow model directory, read with a cap (no zip bomb inflates)."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            if opened.getinfo(member).file_size > max_bytes:
                raise BadRequest(
                    f"{member!r} inflates past {max_bytes} bytes", code=UNSUPPORTED_ARTIFACT
                )
            with opened.open(member) as stream:
                data = stream.read(max_bytes + 1)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise BadRequest(
            f"the MLflow model archive has no readable {member!r}", code=UNSUPPORTED_ARTIFACT
        ) from exc
    if len(data) > max_bytes:
        raise BadRequest(f"{member!r} inflates past {max_bytes} bytes", code=UNSUPPORTED_ARTIFACT)
    return data


def _key(target: ServedVersion) -> str:
    return f"{target.version_id}:{target.sha256}"


def _request(target: ServedVersion) -> dict[str, Any]:
    return {
        "format": target.format,
        "input_schema": dict(target.input_schema) if target.input_schema else None,
        "feature_names": target.feature_names,
    }


def artifact_limits(settings: Settings) -> ArchiveLimits:
    return ArchiveLimits(
        max_entries=settings.artifact_max_entries,
        max_uncompressed_bytes=settings.artifact_max_uncompressed_bytes,
        max_array_bytes=settings.artifact_max_array_bytes,
    )


def serving_pool(settings: Settings) -> WorkerPool:
    """The process's pool of sandboxed workers for these settings (started on first use)."""
    forbidden = [str(settings.data_dir.resolve())]
    database = settings.resolved_database_url
    if database.startswith("sqlite:///"):
        forbidden.append(database.removeprefix("sqlite:///"))
    if settings.resolved_artifact_uri.startswith("file://"):
        forbidden.append(settings.resolved_artifact_uri.removeprefix("file://"))
    config = WorkerConfig(
        sandbox=SandboxSpec(
            memory_bytes=settings.serving_memory_bytes,
            cpu_seconds=settings.serving_cpu_seconds,
            landlock=settings.serving_landlock,
            forbidden=tuple(forbidden),
        ),
        limits=artifact_limits(settings),
        cache_bytes=settings.serving_cache_bytes,
        max_artifact_bytes=settings.max_upload_bytes,
    )
    return shared_pool(
        config, size=settings.serving_workers, timeout=settings.serving_timeout_seconds
    )
