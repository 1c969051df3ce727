"""Datasets: upload (from a path, bytes or an open binary file), list, read, delete."""

import io
from pathlib import Path
from typing import Any, BinaryIO

from maestro.client.base import BaseClient
from maestro.client.uploads import ProgressReader, UploadProgress

_CONTENT_TYPES = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet"}


class DatasetsMixin(BaseClient):
    def upload_dataset(
        self,
        source: str | Path | bytes | BinaryIO,
        name: str,
        *,
        description: str | None = None,
        filename: str | None = None,
        progress: UploadProgress | None = None,
    ) -> dict[str, Any]:
        """Upload a CSV or Parquet file; the body is streamed from a path or file object.

        `filename` (defaults to the path's name; required in spirit for bytes) helps the server
        tell CSV from Parquet when the content alone does not. `progress` is called with the
        size of every chunk sent.
        """
        data: dict[str, str] = {"name": name}
        if description is not None:
            data["description"] = description
        if isinstance(source, str | Path):
            path = Path(source)
            with path.open("rb") as file:
                return self._upload(file, filename or path.name, data, progress)
        return self._upload(source, filename or "dataset", data, progress)

    def _upload(
        self,
        content: bytes | BinaryIO,
        filename: str,
        data: dict[str, str],
        progress: UploadProgress | None,
    ) -> dict[str, Any]:
        if progress is not None:
            file = io.BytesIO(content) if isinstance(content, bytes) else content
            content = ProgressReader(file, progress)  # type: ignore[assignment]
        content_type = _CONTENT_TYPES.get(Path(filename).suffix.lower(), "application/octet-stream")
        files = {"file": (filename, content, content_type)}
        return self._json("POST", "/datasets", data=data, files=files)

    def get_dataset(self, dataset_id: str) -> dict[str, Any]:
        return self._json("GET", f"/datasets/{dataset_id}")

    def list_datasets(self) -> list[dict[str, Any]]:
        return list(self._paginate("/datasets"))

    def delete_dataset(self, dataset_id: str) -> None:
        self.request("DELETE", f"/datasets/{dataset_id}")
