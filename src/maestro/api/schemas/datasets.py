"""Datasets: what an upload was parsed into."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ColumnOut(BaseModel):
    name: str
    dtype: str


class DatasetOut(BaseModel):
    id: str
    name: str
    description: str | None
    format: Literal["csv", "parquet"]
    rows: int
    columns: list[ColumnOut]
    size_bytes: int
    sha256: str
    created_by: str | None
    created_at: datetime
    preview: list[dict[str, Any]] | None = Field(
        default=None, description="The first rows, JSON-safe (single-dataset reads only)."
    )
