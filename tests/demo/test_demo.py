"""`maestro demo` touches only tenants it created; its bookkeeping survives concurrent workers."""

from __future__ import annotations

import random

import pytest

from maestro.demo.actions import (
    _deployed,
    _mark_deployed,
    _models,
    fill_quota,
    register_model,
    retire_model,
)
from maestro.demo.provisioning import DEMO_PREFIX, PLANS, NotADemoTenantError, provision


class _FirstAndAlways(random.Random):
    """Deterministic choices: always the first item, and every coin flip says yes."""

    def randrange(self, *args: int, **kwargs: int) -> int:
        return 0

    def random(self) -> float:
        return 0.0


def _close(tenants) -> None:
    for tenant in tenants:
        tenant.close()


def test_demo_tenants_carry_the_demo_prefix_and_leave_other_tenants_alone(server, admin):
    admin.create_tenant("acme", "Acme", quotas={"models": 3}, rate_limit=None)

    tenants = provision(admin, server.url)
    _close(tenants)

    assert all(t.slug.startswith(DEMO_PREFIX) for t in tenants)
    acme = admin.get_tenant("acme")
    assert acme["name"] == "Acme"
    assert admin.get_tenant("acme")["quotas"]["models"] == 3


def test_demo_refuses_an_existing_tenant_it_did_not_create(server, admin):
    taken = PLANS[-1].slug
    admin.create_tenant(taken, "Somebody's tenant", quotas={"models": 3}, rate_limit=None)

    with pytest.raises(NotADemoTenantError, match=taken):
        provision(admin, server.url)

    assert admin.get_tenant(taken)["name"] == "Somebody's tenant"
    assert admin.get_tenant(taken)["quotas"]["models"] == 3
    assert {t["slug"] for t in admin.list_tenants()} == {taken}  # nothing else was created


def test_demo_reuses_the_tenants_of_an_earlier_run(server, admin):
    _close(provision(admin, server.url))
    _close(provision(admin, server.url))

    assert sorted(t["slug"] for t in admin.list_tenants()) == sorted(p.slug for p in PLANS)


def test_a_model_retired_while_a_version_is_added_is_not_tracked_again(server, admin):
    tenants = provision(admin, server.url)
    deleting = next(t for t in tenants if t.plan.deletes_models)
    rng = _FirstAndAlways(0)
    for _ in range(4):
        register_model(deleting, rng)
    raced = _deployed(deleting)[0]

    retire_model(deleting, rng)  # worker 1 retires and deletes `raced` ...
    _mark_deployed(deleting, raced)  # ... while worker 2 finishes deploying a version of it
    register_model(deleting, rng)  # the next model gets a fresh name, not the deleted one's
    while len(_deployed(deleting)) >= 3:
        retire_model(deleting, rng)
    registered = sorted(m["name"] for m in deleting.owner.list_models())
    _close(tenants)

    assert set(_deployed(deleting)) <= set(_models(deleting))
    assert raced not in _models(deleting)
    assert registered == sorted(_models(deleting))


def test_the_near_quota_tenant_is_filled_above_the_warning_and_below_exhaustion(server, admin):
    tenants = provision(admin, server.url)
    near = next(t for t in tenants if t.plan.models_kept)

    fill_quota(near, random.Random(0))
    _close(tenants)

    models = admin.usage(near.slug)["resources"]["models"]
    assert 0.8 < models["used"] / models["limit"] < 1
