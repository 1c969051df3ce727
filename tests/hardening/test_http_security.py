"""The HTTP surface an attacker meets: headers, forged addresses, unauthenticated bodies, ids."""

import io
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from maestro.settings import Settings
from tests.conftest import ADMIN_KEY, make_settings
from tests.hardening.conftest import assert_error
from tests.support.processes import maestro_env, maestro_serve


def send_head(
    server, path: str, content_length: int, *, auth: str = "", body: bytes = b"", method="POST"
) -> str:
    """Send a request head declaring `content_length` bytes (and `body`, a small part of them);
    return what the server answers before the rest would ever arrive."""
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {content_length}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head + body)
        answer = b""
        while chunk := sock.recv(65536):  # the refusal closes the connection
            answer += chunk
        return answer.decode(errors="replace")


def test_an_unauthenticated_500_mb_upload_is_refused_at_the_headers(server):
    """Only the head and 64 KiB are sent: the 401 must come without waiting for the rest."""
    started = time.monotonic()
    answer = send_head(server, "/api/v1/datasets", 500 * 1024**2, body=b"--xyz\r\n" + b"a" * 65536)
    assert answer.startswith("HTTP/1.1 401"), answer[:200]
    assert '"unauthenticated"' in answer
    assert time.monotonic() - started < 10


def test_an_unauthenticated_mlflow_artifact_upload_is_refused_at_the_headers_in_mlflows_shape(
    server,
):
    path = "/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/big.bin"
    answer = send_head(server, path, 500 * 1024**2, body=b"a" * 65536, method="PUT")
    assert answer.startswith("HTTP/1.1 401"), answer[:200]
    assert '"error_code": "UNAUTHENTICATED"' in answer


def test_a_bad_key_with_a_body_is_refused_before_the_body_is_read(server):
    auth = "Authorization: Bearer mst_not-a-key\r\n"
    answer = send_head(server, "/api/v1/models/m/versions", 400 * 1024**2, auth=auth)
    assert answer.startswith("HTTP/1.1 401"), answer[:200]


def test_headers_larger_than_the_limit_are_refused(owner_http):
    response = owner_http.get("/api/v1/models", headers={"X-Padding": "p" * 40_000})
    assert_error(response, 431, "request_header_fields_too_large")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/api/v1/models/a%00b", {}),
        ("GET", "/api/v1/experiments", {"params": {"group": "a\x00b"}}),
        ("POST", "/api/v1/models", {"json": {"name": "m", "description": "a\x00b"}}),
        ("POST", "/api/v1/experiments", {"json": {"name": "e", "tags": {"k\x00": "v"}}}),
        ("POST", "/api/v1/experiments", {"json": {"name": "e", "params": {"k": "\x00"}}}),
    ],
    ids=["path", "query", "body-string", "body-tag-key", "body-param"],
)
def test_a_nul_character_anywhere_is_a_validation_error_and_stores_nothing(
    owner_http, method, path, kwargs
):
    assert_error(owner_http.request(method, path, **kwargs), 422, "validation_error")
    assert owner_http.get("/api/v1/models").json()["items"] == []
    assert owner_http.get("/api/v1/experiments").json()["items"] == []


def test_a_nul_character_in_a_dataset_name_is_a_validation_error(owner_http):
    response = owner_http.post(
        "/api/v1/datasets",
        files={"file": ("d.csv", io.BytesIO(b"a,b\n1,2\n"), "text/csv")},
        data={"name": "a\x00b"},
    )
    assert_error(response, 422, "validation_error")
    assert owner_http.get("/api/v1/datasets").json()["items"] == []


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_experiment_params_are_a_validation_error(owner_http, constant):
    body = '{"name": "e", "params": {"lr": ' + constant + "}}"
    response = owner_http.post(
        "/api/v1/experiments", content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "validation_error")
    assert owner_http.get("/api/v1/experiments").json()["items"] == []


def test_experiment_params_nested_past_the_limit_are_a_validation_error(owner_http):
    nested: dict = {}
    for _ in range(40):
        nested = {"a": nested}
    response = owner_http.post("/api/v1/experiments", json={"name": "e", "params": nested})
    assert_error(response, 422, "validation_error")


def test_every_html_response_carries_a_content_security_policy(owner_http, tenant):
    owner_http.post("/api/v1/models", json={"name": "m"})
    owner_http.post(
        "/api/v1/models/m/versions",
        files={"file": ("m.bin", io.BytesIO(b"x"), "application/octet-stream")},
        data={"format": "other"},
    )
    for path, params in (("/api/v1/models/m/versions/1/card", {"format": "html"}), ("/docs", {})):
        response = owner_http.get(path, params=params)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    card_policy = owner_http.get(
        "/api/v1/models/m/versions/1/card", params={"format": "html"}
    ).headers["content-security-policy"]
    assert "script-src" not in card_policy and "default-src 'none'" in card_policy


def test_json_responses_are_not_sniffed(owner_http):
    assert owner_http.get("/api/v1/me").headers["x-content-type-options"] == "nosniff"


def test_a_405_lists_every_method_of_the_path_in_allow(owner_http):
    response = owner_http.request("PUT", "/api/v1/models")
    assert_error(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "POST"}


def test_deleting_another_tenants_key_reads_exactly_like_a_missing_key(
    server, make_tenant, owner_http
):
    other = make_tenant()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as a:
        foreign = a.post(f"/api/v1/users/{other.owner_id}/api-keys", json={"name": "x"}).json()
    missing_id = "00000000-0000-0000-0000-000000000000"
    foreign_answer = owner_http.delete(f"/api/v1/api-keys/{foreign['id']}")
    missing_answer = owner_http.delete(f"/api/v1/api-keys/{missing_id}")
    assert foreign_answer.status_code == missing_answer.status_code == 404
    assert foreign_answer.json()["error"]["message"].replace(foreign["id"], "ID") == (
        missing_answer.json()["error"]["message"].replace(missing_id, "ID")
    )


class TestKeyCap:
    @pytest.fixture
    def settings(self, tmp_path, database_url) -> Settings:
        return make_settings(tmp_path, database_url, max_api_keys_per_user=2)

    def test_a_user_cannot_hold_more_api_keys_than_the_cap(self, owner_http, tenant):
        path = f"/api/v1/users/{tenant.owner_id}/api-keys"
        assert owner_http.post(path, json={"name": "second"}).status_code == 201  # + "test"
        error = assert_error(owner_http.post(path, json={"name": "third"}), 409, "conflict")
        assert error["details"] == {"limit": 2, "used": 2}


def anonymous_statuses(tmp_path, **extra: str) -> list[int]:
    """Six unauthenticated calls to a `maestro serve` (burst 3), each with another forwarded-for."""
    env = maestro_env(
        tmp_path / "data",
        MAESTRO_ANONYMOUS_RATE_LIMIT_REQUESTS_PER_MINUTE="1",
        MAESTRO_ANONYMOUS_RATE_LIMIT_BURST="3",
        **extra,
    )
    with maestro_serve(tmp_path / "data", env=env) as server:
        return [
            httpx.get(
                f"{server.url}/api/v1/me", headers={"X-Forwarded-For": f"203.0.113.{i}"}
            ).status_code
            for i in range(6)
        ]


@pytest.mark.slow
def test_a_forged_x_forwarded_for_does_not_escape_the_anonymous_limit(tmp_path):
    """`maestro serve` trusts no proxy by default: each forged address is still the same client."""
    statuses = anonymous_statuses(tmp_path)
    assert statuses[:3] == [401, 401, 401]
    assert 429 in statuses[3:]


@pytest.mark.slow
def test_x_forwarded_for_from_a_configured_proxy_names_the_client(tmp_path):
    statuses = anonymous_statuses(tmp_path, MAESTRO_FORWARDED_ALLOW_IPS="127.0.0.1")
    assert statuses == [401] * 6  # six clients behind the proxy, each within its own burst
