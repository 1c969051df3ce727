"""Raw HTTP clients for the hardening tests: the exact bytes an attacker or a fuzzer sends."""

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ADMIN_KEY, TenantHandle


@pytest.fixture
def admin_http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as c:
        yield c


@pytest.fixture
def owner_http(server, tenant: TenantHandle) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {tenant.owner_key}"}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        yield client


def cursor_of(value: object) -> str:
    """A cursor as the server encodes them, around any JSON value."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return body["error"]
