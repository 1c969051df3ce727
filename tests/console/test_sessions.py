"""Console sign-in sessions, CSRF, roles and headers, over real HTTP against a live server."""

import re
import time

import httpx

from maestro.api.app import create_app
from tests.conftest import make_settings
from tests.console.conftest import ConsoleBrowser
from tests.support.live_server import start_server
from tests.support.metrics import scrape, value

STRICT_SCRIPT = "script-src 'self'"


def api(url: str, key: str, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.request(method, f"{url}/api/v1{path}", headers=headers, **kwargs)


def test_sign_in_sets_an_http_only_strict_cookie_that_holds_no_key(console, tenant):
    browser = console()
    response = browser.sign_in(tenant.owner_key)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "maestro_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert tenant.owner_key not in cookie
    home = browser.http.get("/")
    assert home.status_code == 200
    assert tenant.owner_key not in home.text
    assert tenant.slug in home.text


def test_a_wrong_key_is_refused_on_the_sign_in_page(console, tenant):
    response = console().sign_in("mst_not-a-real-key")
    assert response.status_code == 401
    assert "not valid" in response.text
    assert "maestro_session" not in response.headers.get("set-cookie", "")


def test_sign_in_without_the_form_token_is_refused(server, tenant):
    response = httpx.post(
        f"{server.url}/login", data={"api_key": tenant.owner_key, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "maestro_session" not in response.headers.get("set-cookie", "")


def test_pages_need_a_session_and_send_the_visitor_to_sign_in(server):
    response = httpx.get(f"{server.url}/models")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/models"


def test_a_form_post_without_the_csrf_token_is_refused(console, tenant, owner):
    owner.create_model("churn")
    browser = console()
    browser.sign_in(tenant.owner_key)
    response = browser.post("/models/churn/undeploy", token=False)
    assert response.status_code == 403
    assert "did not come from this console" in response.text


def test_sign_out_ends_the_session_on_the_server(console, tenant):
    browser = console()
    browser.sign_in(tenant.owner_key)
    cookie = browser.http.cookies["maestro_session"]
    assert browser.post("/logout").headers["location"] == "/login"
    replay = httpx.get(f"{tenant.url}/", cookies={"maestro_session": cookie})
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


def test_revoking_the_key_ends_its_sessions(console, tenant, admin):
    key = admin.create_api_key(tenant.owner_id, "laptop")
    browser = console()
    browser.sign_in(key["key"])
    assert browser.http.get("/models").status_code == 200
    admin.delete_api_key(key["id"])
    assert browser.http.get("/models").status_code == 303


def test_deleting_the_tenant_ends_its_users_sessions(console, tenant, admin):
    browser = console()
    browser.sign_in(tenant.owner_key)
    admin.delete_tenant(tenant.slug)
    assert browser.http.get("/").status_code == 303


def test_disabling_a_user_stops_their_keys_and_sessions_at_once(console, tenant, admin):
    member = admin.create_user(tenant.slug, "mia", "member")
    key = admin.create_api_key(member["id"], "k")["key"]
    browser = console()
    browser.sign_in(key)
    patched = api(
        tenant.url, tenant.owner_key, "PATCH", f"/users/{member['id']}", json={"disabled": True}
    )
    assert patched.status_code == 200 and patched.json()["disabled"] is True
    assert browser.http.get("/models").status_code == 303
    assert api(tenant.url, key, "GET", "/me").status_code == 401
    assert console().sign_in(key).status_code == 401


def test_a_role_change_applies_to_open_sessions(console, tenant, owner, admin):
    member = admin.create_user(tenant.slug, "max", "member")
    key = admin.create_api_key(member["id"], "k")["key"]
    owner.create_model("churn")
    browser = console()
    browser.sign_in(key)
    patched = api(
        tenant.url, tenant.owner_key, "PATCH", f"/users/{member['id']}", json={"role": "viewer"}
    )
    assert patched.json()["role"] == "viewer"
    refused = browser.post("/models/churn/aliases", {"alias": "prod", "version": "1"})
    assert refused.status_code == 403
    assert "read-only" in refused.text


def test_only_an_owner_changes_roles_and_never_their_own(tenant, admin):
    member = admin.create_user(tenant.slug, "noor", "member")
    member_key = admin.create_api_key(member["id"], "k")["key"]
    path = f"/users/{tenant.owner_id}"
    assert api(tenant.url, member_key, "PATCH", path, json={"role": "viewer"}).status_code == 403
    own = api(tenant.url, tenant.owner_key, "PATCH", path, json={"disabled": True})
    assert own.status_code == 409


def test_sessions_expire(tmp_path, database_url, tenant):
    live = start_server(
        create_app(make_settings(tmp_path / "short", database_url, console_session_hours=1 / 3600))
    )
    try:
        with httpx.Client(base_url=live.url) as http:
            browser = ConsoleBrowser(live.url)
            assert browser.sign_in(tenant.owner_key).status_code == 303
            deadline = time.monotonic() + 10
            while browser.http.get("/").status_code == 200:
                assert time.monotonic() < deadline, "the session never expired"
                time.sleep(0.2)
            assert browser.http.get("/").headers["location"].startswith("/login")
            browser.close()
            assert http.get("/healthz").status_code == 200
    finally:
        live.stop()


def test_next_never_sends_a_signed_in_user_to_another_site(console, tenant):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = console().sign_in(tenant.owner_key, next_path=target)
        assert response.headers["location"] == "/"


def test_every_console_response_carries_a_strict_content_security_policy(console, tenant, server):
    browser = console()
    responses = [
        httpx.get(f"{server.url}/login"),
        httpx.get(f"{server.url}/models"),  # a redirect to sign in
        browser.sign_in(tenant.owner_key),
        browser.http.get("/"),
        browser.http.get("/models/absent"),  # an error page
        browser.http.get("/experiments/compare"),  # a validation error page
        browser.http.get("/static/console.js"),
    ]
    for response in responses:
        policy = response.headers["content-security-policy"]
        assert STRICT_SCRIPT in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"
    docs = httpx.get(f"{server.url}/docs").headers["content-security-policy"]
    assert STRICT_SCRIPT in docs and "unsafe-eval" not in docs


def test_another_tenants_resources_are_404_pages(console, make_tenant):
    a, b = make_tenant(), make_tenant()
    with a.client() as owner_a:
        owner_a.create_model("secret-model")
        experiment = owner_a.create_experiment("secret-run")
    browser = console()
    browser.sign_in(b.owner_key)
    for path in (
        "/models/secret-model",
        f"/experiments/{experiment['id']}",
        "/models/secret-model/versions/1",
    ):
        response = browser.http.get(path)
        assert response.status_code == 404
        assert "Not found" in response.text
        assert "Traceback" not in response.text
    forged = browser.post("/models/secret-model/undeploy")
    assert forged.status_code == 404


def test_console_requests_are_counted_under_route_templates(console, tenant, owner, server):
    experiment = owner.create_experiment("run")
    browser = console()
    browser.sign_in(tenant.owner_key)
    before = scrape(server.url)
    browser.http.get(f"/experiments/{experiment['id']}")
    after = scrape(server.url)
    labels = {
        "method": "GET",
        "endpoint": "/experiments/{experiment_id}",
        "status": "200",
        "tenant_id": tenant.slug,
    }
    name = "maestro_http_requests_total"
    assert value(after, name, **labels) - value(before, name, **labels) == 1


def test_every_form_on_a_page_carries_the_sessions_csrf_token(console, tenant, owner, admin):
    """Forms built by the shared `csrf()` macro, not only the sign-out form, hold the token:
    a plain (non-htmx) form post from a browser sends only what the page wrote into it."""
    member = admin.create_user(tenant.slug, "fay", "member")
    owner.create_model("churn")
    browser = console()
    browser.sign_in(tenant.owner_key)
    for path in (f"/admin/users/{member['id']}", "/admin/users", "/models/churn", "/jobs"):
        tokens = re.findall(r'name="csrf_token" value="([^"]*)"', browser.http.get(path).text)
        assert tokens and len(set(tokens)) == 1 and tokens[0], (path, tokens)
