"""Models, versions and aliases: the registry's bookkeeping."""

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from maestro.client import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from tests.registry.conftest import both_stores


def test_model_lifecycle(owner):
    created = owner.create_model("fraud", description="v0", tags={"team": "risk"})
    assert created["name"] == "fraud" and created["latest_version"] is None
    assert created["aliases"] == {} and created["deployment"] is None

    updated = owner.update_model("fraud", description="scores payments")
    assert updated["description"] == "scores payments" and updated["tags"] == {"team": "risk"}
    assert owner.update_model("fraud", tags={"tier": "gold"})["tags"] == {"tier": "gold"}
    assert [m["name"] for m in owner.list_models()] == ["fraud"]

    with pytest.raises(ConflictError):
        owner.create_model("fraud")
    owner.delete_model("fraud")
    with pytest.raises(NotFoundError):
        owner.get_model("fraud")


def test_names_are_slugs_and_tags_a_string_map(owner):
    for name in ("Upper", "-lead", "trail-", "has space", "..", "x" * 101):
        with pytest.raises(ValidationError):
            owner.create_model(name)
    with pytest.raises(ValidationError):
        owner.create_model("m", tags={"bad key!": "v"})
    with pytest.raises(ValidationError):
        owner.create_model("m", tags={f"k{i}": "v" for i in range(51)})


def test_versions_and_aliases(owner):
    owner.create_model("m")
    for payload in (b"one", b"two", b"three"):
        owner.upload_version("m", payload, "other")
    assert [v["version"] for v in owner.list_versions("m")] == [1, 2, 3]
    assert owner.get_model("m")["latest_version"] == 3

    owner.set_alias("m", "production", 1)
    owner.set_alias("m", "staging", 3)
    assert owner.get_version("m", "production")["version"] == 1
    assert owner.get_version("m", "latest")["version"] == 3
    assert owner.get_version("m", 3)["aliases"] == ["staging"]

    owner.set_alias("m", "production", 2)  # moving an alias
    assert owner.download_artifact("m", "production") == b"two"
    assert owner.get_model("m")["aliases"] == {"production": 2, "staging": 3}

    assert owner.list_models()[0]["aliases"] == {"production": 2, "staging": 3}
    for unknown in ("4", "0", "99999999999", "\u00b2", "qa"):
        with pytest.raises(NotFoundError):
            owner.get_version("m", unknown)

    owner.delete_alias("m", "staging")
    with pytest.raises(NotFoundError):
        owner.get_version("m", "staging")
    with pytest.raises(NotFoundError):
        owner.delete_alias("m", "staging")
    with pytest.raises(NotFoundError):
        owner.set_alias("m", "canary", 9)
    for reserved_or_bad in ("latest", "1abc", "Prod"):
        with pytest.raises(ValidationError):
            owner.set_alias("m", reserved_or_bad, 1)


def test_viewers_read_but_do_not_write(owner, tenant):
    owner.create_model("m")
    owner.upload_version("m", b"abc", "other")
    viewer = owner.create_user(tenant.slug, "viv", "viewer")
    with tenant.client(owner.create_api_key(viewer["id"])["key"]) as as_viewer:
        assert as_viewer.get_model("m")["latest_version"] == 1
        assert as_viewer.download_artifact("m", 1) == b"abc"
        for call in (
            lambda: as_viewer.create_model("n"),
            lambda: as_viewer.update_model("m", description="x"),
            lambda: as_viewer.upload_version("m", b"x", "other"),
            lambda: as_viewer.set_alias("m", "production", 1),
            lambda: as_viewer.deploy("m", 1),
            lambda: as_viewer.delete_model("m"),
        ):
            with pytest.raises(PermissionDeniedError):
                call()


@both_stores
def test_concurrent_uploads_get_distinct_consecutive_versions(owner, tenant, stored_objects):
    owner.create_model("m")
    payloads = [f"artifact {i}".encode() * 50 for i in range(12)]

    def upload(payload: bytes) -> dict:
        with tenant.client() as client:
            return client.upload_version("m", payload, "other")

    with ThreadPoolExecutor(6) as pool:
        versions = list(pool.map(upload, payloads))
    assert sorted(v["version"] for v in versions) == list(range(1, 13))
    for version, payload in zip(versions, payloads, strict=True):
        assert version["sha256"] == hashlib.sha256(payload).hexdigest()
        assert owner.download_artifact("m", version["version"]) == payload
    assert len(stored_objects()) == 12


@both_stores
def test_deleting_a_model_deletes_everything_it_held(
    owner, tenant, trained, stored_objects, quota_used, db_facts
):
    owner.create_model("m")
    owner.upload_version("m", trained.artifact, "skops")
    owner.upload_version("m", b"other bytes", "other")
    owner.set_alias("m", "production", 1)
    owner.deploy("m", "production")
    assert len(stored_objects()) == 2
    assert quota_used(tenant.slug, "storage_bytes") == len(trained.artifact) + 11

    owner.delete_model("m")
    assert stored_objects() == []
    for resource in ("models", "storage_bytes", "deployments"):
        assert quota_used(tenant.slug, resource) == 0, resource
    facts = db_facts(tenant.slug)
    assert (facts.models, facts.versions, facts.deployments) == (0, 0, 0)
    owner.create_model("m")  # the name is free again, and numbering restarts
    assert owner.upload_version("m", b"again", "other")["version"] == 1
