"""The demo's model-health action gives every model-health gauge a series."""

import random
import time
from types import SimpleNamespace

from maestro.demo.model_health import health_models, model_health
from maestro.demo.provisioning import PLANS
from maestro.monitoring.contract import METRICS
from tests.support.metrics import scrape


def test_the_demo_action_feeds_every_model_health_metric(server, tenant, owner):
    demo_tenant = SimpleNamespace(owner=owner, state={}, plan=PLANS[0])
    rng = random.Random(3)
    wanted = {m.name for m in METRICS if m.labels == ("tenant_id", "model_name")}
    assert len(wanted) == 7
    deadline = time.monotonic() + 120
    while True:
        model_health(demo_tenant, rng)  # type: ignore[arg-type]
        seen = {name.removesuffix("_total") for name, labels in scrape(server.url)}
        names = {name.removesuffix("_total") for name in wanted}
        if names <= seen:
            break
        assert time.monotonic() < deadline, f"still missing: {sorted(names - seen)}"
    assert {m.name for m in health_models()} <= {m["name"] for m in owner.list_models()}


def test_the_near_quota_tenant_gets_no_health_models(server, tenant, owner):
    """Its model count stays where the demo holds it (above the quota warning, below 100%)."""
    (near_quota,) = [plan for plan in PLANS if plan.models_kept]
    demo_tenant = SimpleNamespace(owner=owner, state={}, plan=near_quota)
    for seed in range(4):
        model_health(demo_tenant, random.Random(seed))  # type: ignore[arg-type]
    assert owner.list_models() == []
