"""Authentication, roles and tenant isolation."""

import httpx
import pytest

from maestro.client import (
    AuthenticationError,
    MaestroClient,
    NotFoundError,
    PermissionDeniedError,
)


def test_missing_and_invalid_keys_are_401(server):
    assert httpx.get(f"{server.url}/api/v1/me").status_code == 401
    with (
        MaestroClient(server.url, api_key="mst_" + "x" * 43) as stranger,
        pytest.raises(AuthenticationError),
    ):
        stranger.me()
    response = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": "Basic abc"})
    assert response.json()["error"]["code"] == "unauthenticated"


def test_me_describes_the_caller(admin, tenant, owner):
    assert admin.me()["role"] == "admin" and admin.me()["tenant"] is None
    me = owner.me()
    assert me == {
        "user": {"id": tenant.owner_id, "username": "owner", "role": "owner"},
        "tenant": tenant.slug,
        "role": "owner",
    }


def test_issued_keys_have_the_documented_shape(admin, tenant):
    issued = admin.create_api_key(tenant.owner_id, "ci")
    assert issued["key"].startswith("mst_") and len(issued["key"]) >= 4 + 43
    assert issued["key"].startswith(issued["prefix"]) and issued["prefix"] != issued["key"]


def test_viewer_cannot_write(tenant, owner):
    viewer = owner.create_user(tenant.slug, "vic", "viewer")
    key = owner.create_api_key(viewer["id"])["key"]
    with tenant.client(key) as as_viewer:
        assert as_viewer.usage(tenant.slug)["tenant"] == tenant.slug  # reading is fine
        with pytest.raises(PermissionDeniedError) as denied:
            as_viewer.create_user(tenant.slug, "mallory", "owner")
    assert denied.value.status_code == 403 and denied.value.code == "forbidden"


def test_member_cannot_manage_users_but_can_make_own_keys(tenant, owner):
    member = owner.create_user(tenant.slug, "mem", "member")
    key = owner.create_api_key(member["id"])["key"]
    with tenant.client(key) as as_member:
        with pytest.raises(PermissionDeniedError):
            as_member.create_user(tenant.slug, "x", "member")
        own = as_member.create_api_key(member["id"], "laptop")
        with pytest.raises(PermissionDeniedError):
            as_member.create_api_key(tenant.owner_id, "steal")
    assert own["key"].startswith("mst_")


def test_only_the_admin_manages_tenants(owner, tenant):
    with pytest.raises(PermissionDeniedError):
        owner.create_tenant("other", "Other")
    with pytest.raises(PermissionDeniedError):
        owner.list_tenants()
    assert owner.get_tenant(tenant.slug)["slug"] == tenant.slug


def test_another_tenants_resources_do_not_exist(make_tenant):
    a, b = make_tenant("alpha"), make_tenant("beta")
    with b.client() as as_b:
        for call in (
            lambda: as_b.list_users(a.slug),
            lambda: as_b.create_user(a.slug, "intruder", "owner"),
            lambda: as_b.usage(a.slug),
            lambda: as_b.get_tenant(a.slug),
            lambda: as_b.create_api_key(a.owner_id, "steal"),
        ):
            with pytest.raises(NotFoundError) as missing:
                call()
            assert missing.value.status_code == 404


def test_deleted_key_stops_working(tenant, owner):
    issued = owner.create_api_key(tenant.owner_id, "temp")
    with tenant.client(issued["key"]) as temp:
        assert temp.me()["tenant"] == tenant.slug
        owner.delete_api_key(issued["id"])
        with pytest.raises(AuthenticationError):
            temp.me()


def test_deleting_a_tenant_removes_its_users_and_keys(admin, tenant, owner):
    admin.delete_tenant(tenant.slug)
    with pytest.raises(AuthenticationError):
        owner.me()
    with pytest.raises(NotFoundError):
        admin.get_tenant(tenant.slug)


def test_patch_merges_quota_and_rate_limit_overrides(admin, tenant):
    admin.update_tenant(tenant.slug, quotas={"models": 5})
    updated = admin.update_tenant(tenant.slug, quotas={"users": None}, rate_limit={"burst": 7})
    assert updated["quotas"]["models"] == 5
    assert updated["quotas"]["users"] is None
    assert updated["rate_limit"]["burst"] == 7
