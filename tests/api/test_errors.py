"""Bad input always gets a 4xx with the error envelope and a stable code, never a 500."""

import httpx
import pytest

from tests.conftest import ADMIN_KEY


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as c:
        yield c


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.text
    return body["error"]


def test_malformed_json_is_a_validation_error(http):
    response = http.post(
        "/api/v1/tenants", content=b'{"slug": "acme",', headers={"content-type": "application/json"}
    )
    assert_envelope(response, 422, "validation_error")


@pytest.mark.parametrize(
    "body",
    [
        {"slug": 42, "name": "Acme"},
        {"slug": "acme", "name": "Acme", "quotas": {"users": "ten"}},
        {"slug": "acme", "name": "Acme", "quotas": {"users": -1}},
        {"slug": "acme", "name": "Acme", "rate_limit": {"requests_per_minute": 0, "burst": 1}},
    ],
    ids=["slug-not-string", "quota-not-int", "quota-negative", "rpm-zero"],
)
def test_wrong_types_are_validation_errors(http, body):
    error = assert_envelope(http.post("/api/v1/tenants", json=body), 422, "validation_error")
    assert error["details"]["errors"]


def test_unknown_fields_are_rejected(http):
    response = http.post("/api/v1/tenants", json={"slug": "acme", "name": "A", "colour": "red"})
    error = assert_envelope(response, 422, "validation_error")
    assert any(e["type"] == "extra_forbidden" for e in error["details"]["errors"])


def test_unknown_quota_resource_is_rejected(http):
    response = http.post("/api/v1/tenants", json={"slug": "a", "name": "A", "quotas": {"gpus": 1}})
    assert_envelope(response, 422, "validation_error")


@pytest.mark.parametrize("slug", ["Acme", "-acme", "acme-", "ac me", "a" * 64, "", "acme/x"])
def test_bad_slugs_are_rejected(http, slug):
    assert_envelope(
        http.post("/api/v1/tenants", json={"slug": slug, "name": "A"}), 422, "validation_error"
    )


def test_reserved_slug_is_a_conflict(http):
    assert_envelope(
        http.post("/api/v1/tenants", json={"slug": "anonymous", "name": "A"}), 409, "conflict"
    )


def test_duplicates_are_conflicts(http):
    assert http.post("/api/v1/tenants", json={"slug": "acme", "name": "Acme"}).status_code == 201
    assert_envelope(
        http.post("/api/v1/tenants", json={"slug": "acme", "name": "Again"}), 409, "conflict"
    )
    assert http.post(
        "/api/v1/tenants/acme/users", json={"username": "al", "role": "owner"}
    ).is_success
    response = http.post("/api/v1/tenants/acme/users", json={"username": "al", "role": "member"})
    assert_envelope(response, 409, "conflict")


def test_oversize_body_declared_by_content_length(http):
    body = b'{"slug": "' + b"a" * 2_000_000 + b'"}'
    response = http.post(
        "/api/v1/tenants", content=body, headers={"content-type": "application/json"}
    )
    error = assert_envelope(response, 413, "payload_too_large")
    assert error["details"]["limit_bytes"] == 1024 * 1024


def test_oversize_body_streamed_without_length(http):
    def chunks():
        yield b'{"slug": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    response = http.post(
        "/api/v1/tenants", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_envelope(response, 413, "payload_too_large")


def test_unknown_path_and_method(http):
    assert_envelope(http.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_envelope(http.put("/api/v1/me"), 405, "method_not_allowed")


def test_bad_pagination_parameters(http):
    assert_envelope(http.get("/api/v1/tenants", params={"limit": 0}), 422, "validation_error")
    assert_envelope(http.get("/api/v1/tenants", params={"cursor": "!!!"}), 422, "validation_error")


def test_list_pagination_follows_cursors(http):
    for i in range(5):
        assert http.post("/api/v1/tenants", json={"slug": f"t{i}", "name": "T"}).is_success
    first = http.get("/api/v1/tenants", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    seen = [t["slug"] for t in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = http.get("/api/v1/tenants", params={"limit": 2, "cursor": cursor}).json()
        seen += [t["slug"] for t in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == [f"t{i}" for i in range(5)]
