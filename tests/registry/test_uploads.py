"""Artifact uploads: every failed upload is a clear 4xx and leaves storage exactly as it was."""

import json

import httpx
import pytest

from maestro.api.app import create_app
from maestro.client import MaestroClient, ValidationError
from maestro.errors import PayloadTooLarge
from tests.conftest import ADMIN_KEY, make_settings
from tests.support.live_server import start_server

LIMIT = 64 * 1024


@pytest.fixture
def settings(tmp_path, database_url):
    """A small upload limit, so 'too large' is cheap to reach."""
    return make_settings(tmp_path, database_url, max_upload_bytes=LIMIT)


def _multipart(boundary: str, artifact: bytes, fmt: str = "other") -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="format"\r\n\r\n'
            f"{fmt}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="m.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + artifact
        + f"\r\n--{boundary}--\r\n".encode()
    )


def test_failed_uploads_are_4xx_and_leave_storage_unchanged(
    owner, tenant, server, stored_objects, quota_used
):
    owner.create_model("m")
    first = owner.upload_version("m", b"kept artifact", "other")
    before = (stored_objects(), quota_used(tenant.slug, "storage_bytes"))
    url = f"{server.url}/api/v1/models/m/versions"
    auth = {"Authorization": f"Bearer {tenant.owner_key}"}
    boundary = "maestro-boundary"
    whole = _multipart(boundary, b"A" * 5000)
    multipart = {"Content-Type": f"multipart/form-data; boundary={boundary}", **auth}

    attempts = {
        "truncated multipart": httpx.post(url, content=whole[:-600], headers=multipart),
        "empty file": httpx.post(
            url, data={"format": "other"}, files={"file": ("m.bin", b"")}, headers=auth
        ),
        "over the limit": httpx.post(
            url, data={"format": "other"}, files={"file": ("m.bin", b"x" * LIMIT)}, headers=auth
        ),
        "bad format": httpx.post(
            url, data={"format": "pickle"}, files={"file": ("m.bin", b"abc")}, headers=auth
        ),
        "bad metadata JSON": httpx.post(
            url,
            data={"format": "other", "metadata": "{not json"},
            files={"file": ("m.bin", b"abc")},
            headers=auth,
        ),
        "metadata not an object": httpx.post(
            url,
            data={"format": "other", "metadata": "[1, 2]"},
            files={"file": ("m.bin", b"abc")},
            headers=auth,
        ),
        "no file": httpx.post(url, data={"format": "other"}, headers=auth),
        "unknown model": httpx.post(
            f"{server.url}/api/v1/models/nope/versions",
            data={"format": "other"},
            files={"file": ("m.bin", b"abc")},
            headers=auth,
        ),
    }
    expected = {
        "over the limit": 413,
        "unknown model": 404,
    }
    for what, response in attempts.items():
        assert response.status_code == expected.get(what, 422) or (
            what == "truncated multipart" and response.status_code == 400
        ), (what, response.status_code, response.text)
        assert response.json()["error"]["message"], what
        assert (stored_objects(), quota_used(tenant.slug, "storage_bytes")) == before, what
    assert [v["version"] for v in owner.list_versions("m")] == [first["version"]]


def test_the_store_enforces_the_limit_when_the_body_size_is_not_declared(
    owner, tenant, server, stored_objects, quota_used
):
    owner.create_model("m")
    boundary = "b0undary"
    body = _multipart(boundary, b"y" * (LIMIT + 1))

    def chunked():  # no Content-Length: the middleware and the store count the stream
        yield from (body[i : i + 8192] for i in range(0, len(body), 8192))

    response = httpx.post(
        f"{server.url}/api/v1/models/m/versions",
        content=chunked(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": f"Bearer {tenant.owner_key}",
        },
    )
    assert response.status_code == 413
    assert stored_objects() == [] and quota_used(tenant.slug, "storage_bytes") == 0


def test_streamed_upload_from_a_file_reports_progress(owner, tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"z" * 50_000)
    seen: list[int] = []
    owner.create_model("m")
    version = owner.upload_version(
        "m", path, "other", {"framework": "none", "source_job_id": "j1"}, progress=seen.append
    )
    assert sum(seen) == 50_000
    assert version["metadata"] == {"framework": "none", "source_job_id": "j1"}
    downloaded = owner.download_artifact("m", 1, tmp_path / "copy.bin")
    assert downloaded.read_bytes() == path.read_bytes()


def test_artifact_download_carries_its_sha256(owner, server, tenant):
    owner.create_model("m")
    version = owner.upload_version("m", b"some bytes", "other")
    response = httpx.get(
        f"{server.url}/api/v1/models/m/versions/1/artifact",
        headers={"Authorization": f"Bearer {tenant.owner_key}"},
    )
    assert response.content == b"some bytes"
    assert response.headers["x-maestro-sha256"] == version["sha256"]
    assert response.headers["content-disposition"] == 'attachment; filename="m-v1.bin"'


def test_metadata_types_are_checked(owner):
    owner.create_model("m")
    with pytest.raises(ValidationError) as invalid:
        owner.upload_version("m", b"abc", "other", {"metrics": {"auc": "high"}})
    assert invalid.value.status_code == 422
    kept = owner.upload_version("m", b"abc", "other", {"anything": {"else": [1, 2]}})
    assert kept["metadata"] == json.loads('{"anything": {"else": [1, 2]}}')


def test_upload_limit_applies_to_bytes_registered_by_the_service(tmp_path, database_url):
    app = create_app(make_settings(tmp_path, database_url, max_upload_bytes=10))
    live = start_server(app)
    try:
        with MaestroClient(live.url, api_key=ADMIN_KEY) as admin:
            admin.create_tenant("t", "T")
            owner_id = admin.create_user("t", "o", "owner")["id"]
            key = admin.create_api_key(owner_id)["key"]
        ctx = app.state.ctx
        with ctx.db.session() as session:
            principal = ctx.identity.authenticate(session, key).principal
        with pytest.raises(PayloadTooLarge), ctx.db.session() as session:
            ctx.registry.register_version_bytes(session, principal, "m", b"x" * 11)
    finally:
        live.stop()
