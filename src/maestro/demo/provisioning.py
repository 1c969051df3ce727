"""Demo tenants: one ordinary, one close to its model quota, one with a tight rate limit."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from maestro.client import ConflictError, MaestroClient


@dataclass(frozen=True)
class TenantPlan:
    slug: str
    quotas: dict[str, int | None]
    rate_limit: dict[str, int] | None
    weight: int  # share of the traffic


PLANS = (
    TenantPlan("acme", {"models": 50}, {"requests_per_minute": 6000, "burst": 600}, weight=5),
    # Five model slots that the demo fills to four or more: above the 80% quota warning.
    TenantPlan("globex", {"models": 5}, {"requests_per_minute": 6000, "burst": 600}, weight=3),
    # A deliberately tight budget so the demo produces real 429s.
    TenantPlan("initech", {"models": 20}, {"requests_per_minute": 120, "burst": 10}, weight=2),
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


def provision(admin: MaestroClient, url: str) -> list[DemoTenant]:
    """Create (or reuse) the demo tenants and fresh owner and viewer keys for this run."""
    run = uuid.uuid4().hex[:6]
    tenants = []
    for plan in PLANS:
        try:
            admin.create_tenant(
                plan.slug, plan.slug.title(), quotas=plan.quotas, rate_limit=plan.rate_limit
            )
        except ConflictError:
            admin.update_tenant(plan.slug, quotas=plan.quotas, rate_limit=plan.rate_limit)
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
