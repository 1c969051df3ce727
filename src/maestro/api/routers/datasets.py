"""Datasets: multipart CSV/Parquet upload, list, read (schema + preview), delete."""

from typing import Annotated

from fastapi import APIRouter, Form, Response, UploadFile, status

from maestro.api.deps import Context, CurrentPrincipal
from maestro.api.schemas.common import Cursor, Name, Page, PageLimit
from maestro.api.schemas.datasets import ColumnOut, DatasetOut
from maestro.db.models import Dataset

router = APIRouter(prefix="/datasets", tags=["datasets"])


def dataset_out(dataset: Dataset, *, preview: bool) -> DatasetOut:
    return DatasetOut(
        id=dataset.id,
        name=dataset.name,
        description=dataset.description,
        format=dataset.format,
        rows=dataset.rows,
        columns=[ColumnOut(**column) for column in dataset.columns],
        size_bytes=dataset.size_bytes,
        sha256=dataset.sha256,
        created_by=dataset.created_by,
        created_at=dataset.created_at,
        preview=dataset.preview if preview else None,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def upload_dataset(
    file: UploadFile,
    name: Annotated[Name, Form()],
    ctx: Context,
    principal: CurrentPrincipal,
    description: Annotated[str | None, Form(max_length=10_000)] = None,
) -> DatasetOut:
    """Upload a CSV or Parquet file (`file`) under a display `name`."""
    dataset = ctx.datasets.upload(
        ctx.db,
        principal,
        name=name,
        description=description,
        source=file.file,
        filename=file.filename,
    )
    return dataset_out(dataset, preview=True)


@router.get("")
def list_datasets(
    ctx: Context, principal: CurrentPrincipal, limit: PageLimit = 50, cursor: Cursor = None
) -> Page[DatasetOut]:
    with ctx.db.read_session() as session:
        page = ctx.datasets.list(session, principal, limit=limit, cursor=cursor)
        return Page(
            items=[dataset_out(d, preview=False) for d in page.items], next_cursor=page.next_cursor
        )


@router.get("/{dataset_id}")
def get_dataset(dataset_id: str, ctx: Context, principal: CurrentPrincipal) -> DatasetOut:
    with ctx.db.read_session() as session:
        return dataset_out(ctx.datasets.get(session, principal, dataset_id), preview=True)


@router.delete("/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_dataset(dataset_id: str, ctx: Context, principal: CurrentPrincipal) -> Response:
    with ctx.db.session() as session:
        ctx.datasets.delete(session, principal, dataset_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
