"""`MAESTRO_METRICS_ACTIVE_TENANTS_SECONDS`: per-tenant state gauges only for active tenants."""

import pytest

from maestro.settings import Settings
from tests.support.metrics import scrape


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.metrics_active_tenants_seconds = 3600
    return settings


def tenants_reported(url: str) -> set[str]:
    return {
        dict(labels)["tenant_id"]
        for name, labels in scrape(url)
        if name in {"maestro_ml_models_total", "maestro_tenant_quota_usage_ratio"}
    }


def test_only_tenants_with_a_user_seen_in_the_window_have_state_gauges(server, make_tenant):
    active, quiet = make_tenant(), make_tenant()
    assert tenants_reported(server.url) == set()  # created by the admin: nobody used them yet

    with active.client() as owner:
        owner.me()

    assert tenants_reported(server.url) == {active.slug}
    assert quiet.slug not in tenants_reported(server.url)
