"""The MLflow artifact proxy: upload, download, list and delete files by path."""

import tempfile
from typing import Any

from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from maestro.api.deps import Context, CurrentPrincipal
from maestro.mlflow_compat.routers.common import ARTIFACTS_API, Mlflow, mlflow_router, query, text

router = mlflow_router()
# Spooled in memory up to this size, then on disk: uploads never sit whole in RAM.
_SPOOL_BYTES = 8 * 1024 * 1024


@router.put(f"{ARTIFACTS_API}/artifacts/{{artifact_path:path}}")
async def upload_artifact(
    artifact_path: str,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    mlflow: Mlflow,
) -> dict[str, Any]:
    principal.require_write()  # before reading a byte of a refused upload
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        await run_in_threadpool(
            mlflow.artifacts.upload, ctx.db.session, principal, artifact_path, spool
        )
    return {}


@router.get(f"{ARTIFACTS_API}/artifacts/{{artifact_path:path}}")
def download_artifact(
    artifact_path: str, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> StreamingResponse:
    with ctx.db.read_session() as s:
        chunks = mlflow.artifacts.open(s, principal, artifact_path)
    return StreamingResponse(chunks, media_type="application/octet-stream")


@router.get(f"{ARTIFACTS_API}/artifacts")
def list_artifacts(
    request: Request, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> dict[str, Any]:
    prefix = text(query(request), "path", required=False)
    with ctx.db.read_session() as s:
        found = mlflow.artifacts.list(s, principal, prefix)
    files = []
    for info in found:
        item: dict[str, Any] = {"path": info.path.rsplit("/", 1)[-1], "is_dir": info.is_dir}
        if info.file_size is not None:
            item["file_size"] = info.file_size
        files.append(item)
    return {"files": files}


@router.delete(f"{ARTIFACTS_API}/artifacts/{{artifact_path:path}}")
def delete_artifact(
    artifact_path: str, ctx: Context, principal: CurrentPrincipal, mlflow: Mlflow
) -> Response:
    with ctx.db.session() as s:
        mlflow.artifacts.delete(s, principal, artifact_path)
    return Response(content="{}", media_type="application/json")
