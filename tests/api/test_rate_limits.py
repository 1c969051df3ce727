"""Rate limits: GCRA per tenant and per client address, IETF headers, shared through Redis."""

import uuid

import httpx
import pytest

from maestro.api.app import create_app
from maestro.db.session import Database
from tests.conftest import make_settings
from tests.support.live_server import start_server
from tests.support.metrics import scrape, value

REDIS_URL = "redis://127.0.0.1:6379/0"


def burst_of(urls: list[str], key: str, n: int) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {key}"}
    clients = [httpx.Client(base_url=u, headers=headers) for u in urls]
    try:
        return [clients[i % len(clients)].get("/api/v1/me") for i in range(n)]
    finally:
        for client in clients:
            client.close()


def assert_limited_like_gcra(responses: list[httpx.Response]) -> None:
    allowed = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    assert len(allowed) + len(limited) == len(responses)
    assert 9 <= len(allowed) <= 11
    for response in limited:
        assert response.json()["error"]["code"] == "rate_limited"
        assert int(response.headers["retry-after"]) >= 1


def test_burst_then_refusal_with_retry_after(make_tenant):
    tenant = make_tenant(rate_limit={"requests_per_minute": 60, "burst": 10})
    responses = burst_of([tenant.url], tenant.owner_key, 30)
    assert_limited_like_gcra(responses)


def test_every_limited_response_carries_ratelimit_headers(make_tenant):
    tenant = make_tenant(rate_limit={"requests_per_minute": 60, "burst": 10})
    first, *_ = burst_of([tenant.url], tenant.owner_key, 1)
    assert first.headers["ratelimit-policy"] == '"default";q=10;w=10'
    assert first.headers["ratelimit"].startswith('"default";r=9;t=')
    not_found = httpx.get(
        f"{tenant.url}/api/v1/tenants/nope/usage",
        headers={"Authorization": f"Bearer {tenant.owner_key}"},
    )
    assert not_found.status_code == 404 and "ratelimit" in not_found.headers


def test_refusals_are_counted_per_tenant_and_endpoint(server, make_tenant):
    tenant = make_tenant(rate_limit={"requests_per_minute": 60, "burst": 2})
    error_labels = {"endpoint": "/api/v1/me", "error_type": "rate_limited", "method": "GET"}
    before = value(scrape(server.url), "maestro_api_errors_total", **error_labels)

    burst_of([tenant.url], tenant.owner_key, 5)

    after = scrape(server.url)
    exceeded = value(
        after, "maestro_rate_limit_exceeded_total", endpoint="/api/v1/me", tenant_id=tenant.slug
    )
    assert exceeded == 3
    assert value(after, "maestro_api_errors_total", **error_labels) - before == 3


@pytest.fixture
def strict_anonymous_server(tmp_path, database_url):
    settings = make_settings(
        tmp_path,
        database_url,
        anonymous_rate_limit_requests_per_minute=1,
        anonymous_rate_limit_burst=2,
    )
    live = start_server(create_app(settings))
    yield live
    live.stop()


def test_unauthenticated_callers_are_limited_by_address(strict_anonymous_server):
    url = strict_anonymous_server.url
    statuses = [httpx.get(f"{url}/api/v1/me").status_code for _ in range(4)]
    assert statuses == [401, 401, 429, 429]


def test_probes_and_scrapes_are_never_limited(strict_anonymous_server):
    url = strict_anonymous_server.url
    for path in ("/metrics", "/healthz", "/readyz"):
        statuses = {httpx.get(f"{url}{path}").status_code for _ in range(10)}
        assert statuses == {200}, path


def test_two_instances_share_one_budget_through_redis(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url, redis_url=REDIS_URL)
    database = Database(settings.resolved_database_url)
    first = start_server(create_app(settings, database=database))
    second = start_server(create_app(settings, database=database))
    try:
        admin_key = settings.bootstrap_admin_key.get_secret_value()
        admin = httpx.Client(base_url=first.url, headers={"Authorization": f"Bearer {admin_key}"})
        slug = f"shared-{uuid.uuid4().hex[:8]}"
        admin.post(
            "/api/v1/tenants",
            json={
                "slug": slug,
                "name": "Shared",
                "rate_limit": {"requests_per_minute": 60, "burst": 10},
            },
        ).raise_for_status()
        owner = admin.post(
            f"/api/v1/tenants/{slug}/users", json={"username": "o", "role": "owner"}
        ).json()
        key = admin.post(f"/api/v1/users/{owner['id']}/api-keys", json={"name": "k"}).json()["key"]
        admin.close()

        responses = burst_of([first.url, second.url], key, 30)
    finally:
        first.stop()
        second.stop()
        database.dispose()
    assert_limited_like_gcra(responses)
    served_by_each = [sum(r.status_code == 200 for r in responses[i::2]) for i in range(2)]
    assert all(n >= 1 for n in served_by_each)  # both replicas drew on the same bucket
