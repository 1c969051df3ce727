"""Demo tenants: one ordinary, one close to its model quota, one with a tight rate limit.

The demo only ever touches tenants it created: their slugs start with `demo-` and their display
name carries `DEMO_MARKER`. An existing tenant without the marker (a user's own `demo-acme`) is
refused rather than having its quotas and rate limit rewritten.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from maestro.client import ConflictError, MaestroClient

DEMO_PREFIX = "demo-"
DEMO_MARKER = "(maestro demo)"


class NotADemoTenantError(Exception):
    """A tenant with a demo slug exists but was not created by `maestro demo`."""


@dataclass(frozen=True)
class TenantPlan:
    slug: str
    quotas: dict[str, int | None]
    rate_limit: dict[str, int] | None
    weight: int  # share of the traffic
    deletes_models: bool = False  # retiring a model sometimes deletes it
    models_kept: int | None = None  # registered in the first pass, however slow the machine
    # Deploys the two model-health models: not on the near-quota tenant, whose model count the
    # demo holds at exactly `models_kept` (two more models would take it to 100%).
    health_models: bool = True


PLANS = (
    TenantPlan(
        f"{DEMO_PREFIX}acme",
        {"models": 50},
        {"requests_per_minute": 6000, "burst": 600},
        weight=5,
        deletes_models=True,
    ),
    # Six model slots that the demo fills to five (83%): above the 80% quota warning, below
    # exhaustion (100% is the separate Tenant Quota Exhausted alert).
    TenantPlan(
        f"{DEMO_PREFIX}globex",
        {"models": 6},
        {"requests_per_minute": 6000, "burst": 600},
        weight=3,
        models_kept=5,
        health_models=False,
    ),
    # A deliberately tight budget so the demo produces real 429s.
    TenantPlan(
        f"{DEMO_PREFIX}initech", {"models": 20}, {"requests_per_minute": 120, "burst": 10}, weight=2
    ),
)


@dataclass
class DemoTenant:
    plan: TenantPlan
    owner: MaestroClient
    viewer: MaestroClient
    owner_username: str
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.plan.slug

    def close(self) -> None:
        self.owner.close()
        self.viewer.close()


def display_name(slug: str) -> str:
    return f"{slug.removeprefix(DEMO_PREFIX).title()} {DEMO_MARKER}"


def _ensure_demo_tenant(admin: MaestroClient, plan: TenantPlan) -> None:
    """Create the tenant, or reuse it only if an earlier demo run created it."""
    try:
        admin.create_tenant(
            plan.slug, display_name(plan.slug), quotas=plan.quotas, rate_limit=plan.rate_limit
        )
    except ConflictError:
        _refuse_foreign(admin.get_tenant(plan.slug))
        admin.update_tenant(plan.slug, quotas=plan.quotas, rate_limit=plan.rate_limit)


def _refuse_foreign(tenant: dict[str, Any]) -> None:
    if tenant.get("name") != display_name(tenant["slug"]):
        raise NotADemoTenantError(
            f"tenant {tenant['slug']!r} exists and was not created by maestro demo; "
            "the demo leaves it alone (rename or delete it to run the demo)"
        )


def provision(admin: MaestroClient, url: str) -> list[DemoTenant]:
    """Create (or reuse) the demo tenants and fresh owner and viewer keys for this run."""
    run = uuid.uuid4().hex[:6]
    slugs = {plan.slug for plan in PLANS}
    for existing in admin.list_tenants():  # refuse before changing anything
        if existing["slug"] in slugs:
            _refuse_foreign(existing)
    for plan in PLANS:
        _ensure_demo_tenant(admin, plan)
    tenants = []
    for plan in PLANS:
        admin.update_tenant(plan.slug, quotas={"users": None})
        clients = []
        for role in ("owner", "viewer"):
            user = admin.create_user(plan.slug, f"demo-{role}-{run}", role)
            key = admin.create_api_key(user["id"], f"demo-{run}")["key"]
            clients.append(MaestroClient(url, api_key=key))
        tenants.append(
            DemoTenant(
                plan=plan, owner=clients[0], viewer=clients[1], owner_username=f"demo-owner-{run}"
            )
        )
    return tenants
