"""/metrics carries the whole contract of DESIGN section 6, with bounded labels and no secrets."""

import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from maestro.monitoring.contract import METRICS
from tests.conftest import ADMIN_KEY
from tests.support.metrics import scrape

_SERIES_LABELS = {"le"}  # histogram buckets add `le` to the contract's labels


def families(url: str) -> dict:
    text = httpx.get(f"{url}/metrics").text
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_every_contract_metric_is_exposed_with_its_labels(server, owner, tenant):
    owner.me()
    owner.create_user(tenant.slug, "someone", "member")
    httpx.get(f"{server.url}/api/v1/me")  # an unauthenticated error

    exposed = families(server.url)

    # Sparse metrics (model health) exist only once a deployed model has a drift run.
    for spec in (m for m in METRICS if not m.sparse):
        # The text parser strips `_total` from counter family names.
        family = exposed.get(spec.name) or exposed.get(spec.name.removesuffix("_total"))
        assert family is not None, f"{spec.name} missing from /metrics"
        for sample in family.samples:
            assert set(sample.labels) - _SERIES_LABELS == set(spec.labels), sample


def test_state_gauges_cover_every_tenant(server, make_tenant):
    quiet = make_tenant()
    active = ("maestro_tenant_active_users", frozenset({("tenant_id", quiet.slug)}))
    samples = scrape(server.url)
    assert samples[active] == 0  # tenants with no activity are reported too

    with quiet.client() as owner:
        owner.me()
    assert scrape(server.url)[active] == 1
    assert samples[("maestro_ml_models_total", frozenset({("tenant_id", quiet.slug)}))] == 0
    ratios = [
        k
        for k in samples
        if k[0] == "maestro_tenant_quota_usage_ratio" and ("tenant_id", quiet.slug) in k[1]
    ]
    assert len(ratios) == 7
    assert samples[("maestro_build_info", frozenset({("version", "0.1.0")}))] == 1


def endpoint_values(url: str) -> set[str]:
    return {
        dict(labels)["endpoint"]
        for name, labels in scrape(url)
        if name == "maestro_http_requests_total"
    }


def test_random_unmatched_paths_add_at_most_one_endpoint_value(server):
    httpx.get(f"{server.url}/healthz")
    before = endpoint_values(server.url)

    with httpx.Client(base_url=server.url) as client:
        for _ in range(1000):
            client.get(f"/{uuid.uuid4().hex}/{uuid.uuid4().hex[:6]}")

    added = endpoint_values(server.url) - before
    assert added <= {"unmatched"}


def test_tenant_label_is_the_slug_and_errors_use_stable_codes(server, tenant, owner):
    owner.me()
    httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": "Bearer mst_not-a-real-key"})
    samples = scrape(server.url)
    assert (
        samples[
            (
                "maestro_http_requests_total",
                frozenset(
                    {
                        ("method", "GET"),
                        ("endpoint", "/api/v1/me"),
                        ("status", "200"),
                        ("tenant_id", tenant.slug),
                    }
                ),
            )
        ]
        >= 1
    )
    assert (
        samples[
            (
                "maestro_api_errors_total",
                frozenset(
                    {
                        ("method", "GET"),
                        ("endpoint", "/api/v1/me"),
                        ("error_type", "unauthenticated"),
                    }
                ),
            )
        ]
        >= 1
    )


def test_metrics_never_carry_keys(server, owner, tenant):
    issued = owner.create_api_key(tenant.owner_id, "secret-holder")
    with tenant.client(issued["key"]) as holder:
        holder.me()
    body = httpx.get(f"{server.url}/metrics").text
    for secret in (issued["key"], tenant.owner_key, ADMIN_KEY):
        assert secret not in body
    assert "mst_" not in body


def test_probes_and_scrapes_are_left_out_of_every_http_metric(server):
    for path in ("/healthz", "/readyz", "/metrics"):
        assert httpx.get(f"{server.url}{path}").status_code == 200

    http = {
        dict(labels).get("endpoint")
        for name, labels in scrape(server.url)
        if name.startswith(("maestro_http_", "maestro_api_errors"))
    }
    assert not http & {"/healthz", "/readyz", "/metrics"}
