"""Model registry: models, versions, artifacts, aliases, deployment and prediction.

Wherever a method takes `version`, it may be a number, an alias (`"production"`) or `"latest"`.
"""

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from maestro.client.base import BaseClient
from maestro.client.errors import MaestroAPIError, error_for
from maestro.client.uploads import ProgressReader, UploadProgress


class RegistryMixin(BaseClient):
    # --- models ----------------------------------------------------------------------------

    def create_model(
        self, name: str, *, description: str = "", tags: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        body = {"name": name, "description": description, "tags": dict(tags or {})}
        return self._json("POST", "/models", json=body)

    def list_models(self) -> list[dict[str, Any]]:
        return list(self._paginate("/models"))

    def get_model(self, name: str) -> dict[str, Any]:
        return self._json("GET", f"/models/{name}")

    def update_model(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if description is not None:
            body["description"] = description
        if tags is not None:
            body["tags"] = dict(tags)
        return self._json("PATCH", f"/models/{name}", json=body)

    def delete_model(self, name: str) -> None:
        self.request("DELETE", f"/models/{name}")

    # --- versions --------------------------------------------------------------------------

    def upload_version(
        self,
        name: str,
        artifact: str | Path | bytes | BinaryIO,
        format: str = "skops",
        metadata: Mapping[str, Any] | None = None,
        *,
        progress: UploadProgress | None = None,
    ) -> dict[str, Any]:
        """Upload an artifact (a path, bytes or a binary file) as the model's next version.

        The file is streamed; `progress` is called with the size of every chunk sent.
        """
        data: dict[str, str] = {"format": format}
        if metadata is not None:
            data["metadata"] = json.dumps(dict(metadata))
        if isinstance(artifact, (str, Path)):
            with open(artifact, "rb") as file:
                return self._upload_version_file(name, Path(artifact).name, file, data, progress)
        if isinstance(artifact, bytes):
            return self._upload_version_file(name, "artifact", io.BytesIO(artifact), data, progress)
        return self._upload_version_file(name, "artifact", artifact, data, progress)

    def _upload_version_file(
        self,
        name: str,
        filename: str,
        file: BinaryIO,
        data: dict[str, str],
        progress: UploadProgress | None,
    ) -> dict[str, Any]:
        source: Any = ProgressReader(file, progress) if progress else file
        files = {"file": (filename, source, "application/octet-stream")}
        return self._json("POST", f"/models/{name}/versions", data=data, files=files)

    def list_versions(self, name: str) -> list[dict[str, Any]]:
        return list(self._paginate(f"/models/{name}/versions"))

    def get_version(self, name: str, version: int | str) -> dict[str, Any]:
        return self._json("GET", f"/models/{name}/versions/{version}")

    def download_artifact(
        self, name: str, version: int | str, destination: str | Path | None = None
    ) -> bytes | Path:
        """The artifact's bytes, or, with `destination`, the file written (streamed to disk)."""
        path = f"/api/v1/models/{name}/versions/{version}/artifact"
        if destination is None:
            return self.request("GET", path).content
        target = Path(destination)
        with self._http.stream("GET", path) as response:
            if response.is_error:
                response.read()
                raise _error(response)
            with target.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        return target

    # --- aliases ---------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: int) -> dict[str, Any]:
        return self._json("PUT", f"/models/{name}/aliases/{alias}", json={"version": version})

    def delete_alias(self, name: str, alias: str) -> None:
        self.request("DELETE", f"/models/{name}/aliases/{alias}")

    # --- serving ---------------------------------------------------------------------------

    def deploy(self, name: str, version: int | str) -> dict[str, Any]:
        return self._json("POST", f"/models/{name}/versions/{version}/deploy")

    def undeploy(self, name: str) -> None:
        self.request("POST", f"/models/{name}/undeploy")

    def predict(
        self, name: str, instances: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]]
    ) -> dict[str, Any]:
        """Rows by feature name, or lists of values for a model fitted without names."""
        rows = [dict(row) if isinstance(row, Mapping) else list(row) for row in instances]
        body = {"instances": rows}
        return self._json("POST", f"/models/{name}/predict", json=body)


def _error(response: httpx.Response) -> MaestroAPIError:
    try:
        body = response.json()
    except ValueError:
        body = None
    return error_for(response.status_code, body, response.headers.get("retry-after"))
