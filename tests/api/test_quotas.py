"""Quotas: atomic under concurrency on both backends, visible in usage and in /metrics."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from maestro.client import QuotaExceededError


def scrape(url: str) -> str:
    return httpx.get(f"{url}/metrics").text


def test_concurrent_user_creation_never_exceeds_the_quota(make_tenant):
    tenant = make_tenant(quotas={"users": 10})  # the owner already holds 1 of the 10

    def create(i: int) -> int:
        with httpx.Client(
            base_url=tenant.url, headers={"Authorization": f"Bearer {tenant.owner_key}"}
        ) as c:
            return c.post(
                f"/api/v1/tenants/{tenant.slug}/users", json={"username": f"u{i}", "role": "member"}
            ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(create, range(50)))

    assert statuses.count(201) == 9
    assert statuses.count(403) == 41
    with tenant.client() as owner:
        assert len(owner.list_users(tenant.slug)) == 10
        assert owner.usage(tenant.slug)["resources"]["users"] == {
            "used": 10,
            "limit": 10,
            "ratio": 1.0,
        }


def test_quota_exceeded_has_details(make_tenant):
    tenant = make_tenant(quotas={"users": 1})
    with tenant.client() as owner, pytest.raises(QuotaExceededError) as exceeded:
        owner.create_user(tenant.slug, "second", "member")
    assert exceeded.value.status_code == 403
    assert exceeded.value.code == "quota_exceeded"
    assert exceeded.value.details == {"resource_type": "users", "limit": 1, "used": 1}


def test_a_failed_create_does_not_consume_quota(make_tenant):
    tenant = make_tenant(quotas={"users": 3})
    with tenant.client() as owner:
        owner.create_user(tenant.slug, "dup", "member")
        with pytest.raises(Exception, match="conflict"):
            owner.create_user(tenant.slug, "dup", "member")
        assert owner.usage(tenant.slug)["resources"]["users"]["used"] == 2


def test_usage_lists_every_resource_with_defaults_and_overrides(admin, make_tenant):
    tenant = make_tenant(quotas={"models": 4, "datasets": None})
    usage = admin.usage(tenant.slug)
    assert usage["tenant"] == tenant.slug
    assert set(usage["resources"]) == {
        "models",
        "experiments",
        "datasets",
        "storage_bytes",
        "concurrent_training_jobs",
        "users",
        "deployments",
    }
    assert usage["resources"]["models"] == {"used": 0, "limit": 4, "ratio": 0.0}
    assert usage["resources"]["datasets"]["limit"] is None
    assert usage["resources"]["users"]["used"] == 1


def test_quota_gauge_agrees_with_usage(server, admin, make_tenant):
    tenant = make_tenant(quotas={"users": 4})
    admin.create_user(tenant.slug, "second", "member")
    body = scrape(server.url)
    expected = admin.usage(tenant.slug)["resources"]
    for resource, values in expected.items():
        line = (
            f'maestro_tenant_quota_usage_ratio{{resource_type="{resource}",'
            f'tenant_id="{tenant.slug}"}} {float(values["ratio"])}'
        )
        assert line in body
    assert f'maestro_ml_models_total{{tenant_id="{tenant.slug}"}} 0.0' in body


def test_lowering_a_quota_below_usage_blocks_new_creates(admin, make_tenant):
    tenant = make_tenant()
    admin.create_user(tenant.slug, "a", "member")
    admin.update_tenant(tenant.slug, quotas={"users": 1})
    assert admin.usage(tenant.slug)["resources"]["users"]["ratio"] == 2.0
    with pytest.raises(QuotaExceededError):
        admin.create_user(tenant.slug, "b", "member")
