"""Model registry: models, versions (multipart upload, download), aliases, deploy and predict.

Wherever a path has `{version}`, it is a version number, an alias or `latest`.
"""

import base64
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from maestro.api.deps import Context, CurrentPrincipal
from maestro.api.schemas.common import Cursor, Page, PageLimit
from maestro.api.schemas.models import (
    ALIAS_SCHEMA,
    VERSION_HELP,
    AliasIn,
    AliasOut,
    DeploymentOut,
    DeployOut,
    ModelCreate,
    ModelOut,
    ModelPatch,
    PredictIn,
    PredictOut,
    VersionOut,
)
from maestro.services.registry import FORMATS, ModelDetails, VersionDetails

router = APIRouter(tags=["models"])
AliasPath = Annotated[
    str,
    Path(
        description="a slug starting with a letter; `latest` is reserved",
        json_schema_extra=ALIAS_SCHEMA,
    ),
]

_EXTENSIONS = {"skops": "skops", "onnx": "onnx", "mlflow": "zip"}


def model_out(details: ModelDetails) -> ModelOut:
    model = details.model
    deployment = details.deployment
    return ModelOut(
        id=model.id,
        name=model.name,
        description=model.description,
        tags=model.tags,
        latest_version=model.latest_version or None,
        aliases=details.aliases,
        deployment=(
            DeploymentOut(version=deployment.version, deployed_at=deployment.deployed_at)
            if deployment
            else None
        ),
        created_at=model.created_at,
        updated_at=model.updated_at,
    )


def version_out(details: VersionDetails) -> VersionOut:
    version = details.version
    return VersionOut(
        model=details.model_name,
        version=version.version,
        format=version.format,
        size_bytes=version.size_bytes,
        sha256=version.sha256,
        metadata=version.metadata_,
        aliases=details.aliases,
        created_by=version.created_by,
        created_at=version.created_at,
    )


@router.post("/models", status_code=status.HTTP_201_CREATED)
def create_model(body: ModelCreate, ctx: Context, principal: CurrentPrincipal) -> ModelOut:
    with ctx.db.session() as session:
        ctx.registry.create_model(session, principal, body.name, body.description, body.tags)
        return model_out(ctx.registry.get_model(session, principal, body.name))


@router.get("/models")
def list_models(
    ctx: Context, principal: CurrentPrincipal, limit: PageLimit = 50, cursor: Cursor = None
) -> Page[ModelOut]:
    with ctx.db.read_session() as session:
        page = ctx.registry.list_models(session, principal, limit=limit, cursor=cursor)
    return Page(items=[model_out(m) for m in page.items], next_cursor=page.next_cursor)


@router.get("/models/{name}")
def get_model(name: str, ctx: Context, principal: CurrentPrincipal) -> ModelOut:
    with ctx.db.read_session() as session:
        return model_out(ctx.registry.get_model(session, principal, name))


@router.patch("/models/{name}")
def update_model(
    name: str, body: ModelPatch, ctx: Context, principal: CurrentPrincipal
) -> ModelOut:
    with ctx.db.session() as session:
        details = ctx.registry.update_model(
            session, principal, name, description=body.description, tags=body.tags
        )
        return model_out(details)


@router.delete("/models/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_model(name: str, ctx: Context, principal: CurrentPrincipal) -> Response:
    with ctx.db.session() as session:
        ctx.registry.delete_model(session, principal, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/models/{name}/versions", status_code=status.HTTP_201_CREATED, response_model=VersionOut
)
def upload_version(
    name: str,
    ctx: Context,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="the artifact")],
    artifact_format: Annotated[
        str,
        Form(
            alias="format",
            description="skops (servable), onnx or other (stored and downloadable only)",
            json_schema_extra={"enum": list(FORMATS)},
        ),
    ],
    metadata: Annotated[
        str | None,
        Form(
            description="JSON object: framework, params, metrics, input_schema, "
            "source_experiment_id, source_job_id; other keys are kept"
        ),
    ] = None,
) -> Response:
    with ctx.db.session() as session:
        details = ctx.registry.upload_version(
            session, principal, name, file.file, artifact_format, metadata
        )
        out = version_out(details)
    # Serialized here, in the worker thread: a returned model would be validated again
    # against response_model in a second trip through the threadpool.
    return Response(
        out.model_dump_json(),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
    )


@router.get("/models/{name}/versions")
def list_versions(
    name: str,
    ctx: Context,
    principal: CurrentPrincipal,
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> Page[VersionOut]:
    with ctx.db.read_session() as session:
        page = ctx.registry.list_versions(session, principal, name, limit=limit, cursor=cursor)
    return Page(items=[version_out(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/models/{name}/versions/{version}", description=f"`version`: {VERSION_HELP}")
def get_version(name: str, version: str, ctx: Context, principal: CurrentPrincipal) -> VersionOut:
    with ctx.db.read_session() as session:
        return version_out(ctx.registry.get_version(session, principal, name, version))


@router.get(
    "/models/{name}/versions/{version}/artifact",
    response_class=StreamingResponse,
    description="The artifact bytes, streamed; `X-Maestro-Sha256` and `Repr-Digest` carry the "
    f"sha256. `version`: {VERSION_HELP}",
)
def download_artifact(
    name: str, version: str, ctx: Context, principal: CurrentPrincipal
) -> StreamingResponse:
    with ctx.db.read_session() as session:
        row, chunks = ctx.registry.open_artifact(session, principal, name, version)
    digest = base64.b64encode(bytes.fromhex(row.sha256)).decode()
    filename = f"{name}-v{row.version}.{_EXTENSIONS.get(row.format, 'bin')}"
    return StreamingResponse(
        chunks,
        media_type="application/octet-stream",
        headers={
            "Content-Length": str(row.size_bytes),
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Maestro-Sha256": row.sha256,
            "Repr-Digest": f"sha-256=:{digest}:",
        },
    )


@router.put("/models/{name}/aliases/{alias}")
def set_alias(
    name: str, alias: AliasPath, body: AliasIn, ctx: Context, principal: CurrentPrincipal
) -> AliasOut:
    with ctx.db.session() as session:
        ctx.registry.set_alias(session, principal, name, alias, body.version)
    return AliasOut(model=name, alias=alias, version=body.version)


@router.delete("/models/{name}/aliases/{alias}", status_code=status.HTTP_204_NO_CONTENT)
def delete_alias(
    name: str, alias: AliasPath, ctx: Context, principal: CurrentPrincipal
) -> Response:
    with ctx.db.session() as session:
        ctx.registry.delete_alias(session, principal, name, alias)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/models/{name}/versions/{version}/deploy",
    description="Serve this version (replacing any deployed one); an alias is resolved now, "
    f"not followed later. Only skops and onnx artifacts can be deployed. `version`: {VERSION_HELP}",
)
def deploy(name: str, version: str, ctx: Context, principal: CurrentPrincipal) -> DeployOut:
    deployment = ctx.serving.deploy(ctx.db, principal, name, version)
    return DeployOut(model=name, version=deployment.version, deployed_at=deployment.deployed_at)


@router.post("/models/{name}/undeploy", status_code=status.HTTP_204_NO_CONTENT)
def undeploy(name: str, ctx: Context, principal: CurrentPrincipal) -> Response:
    with ctx.db.session() as session:
        ctx.registry.undeploy(session, principal, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/models/{name}/predict")
def predict(name: str, body: PredictIn, ctx: Context, principal: CurrentPrincipal) -> PredictOut:
    result = ctx.serving.predict(ctx.db, principal, name, body.instances)
    return PredictOut(
        model=result.model_name,
        model_version=result.version,
        predictions=result.predictions,
        probabilities=result.probabilities,
        prediction_id=result.prediction_id,
        prediction_ids=result.prediction_ids,
    )
