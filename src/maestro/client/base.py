"""The SDK's transport: one httpx client, bearer auth, error envelope to typed exceptions."""

from collections.abc import Iterator
from typing import Any, Self

import httpx

from maestro.client.errors import error_for

API_PREFIX = "/api/v1"
_ROOT_PATHS = ("/healthz", "/readyz", "/metrics")


class BaseClient:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request under /api/v1 (or an absolute path) and raise on an error envelope."""
        url = path if path.startswith((API_PREFIX, *_ROOT_PATHS)) else f"{API_PREFIX}{path}"
        response = self._http.request(method, url, **kwargs)
        if response.is_error:
            try:
                body = response.json()
            except ValueError:
                body = None
            raise error_for(response.status_code, body, response.headers.get("retry-after"))
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    def _paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Yield every item of a list endpoint, following `next_cursor`."""
        query = dict(params or {})
        while True:
            page = self._json("GET", path, params=query)
            yield from page["items"]
            if not page.get("next_cursor"):
                return
            query["cursor"] = page["next_cursor"]

    def health(self) -> dict[str, Any]:
        return self._json("GET", "/healthz")

    def ready(self) -> dict[str, Any]:
        return self._json("GET", "/readyz")
