"""Console administration over HTTP: tenants for the admin, users and keys for an owner."""

import re

import httpx

from tests.conftest import ADMIN_KEY


def test_the_admin_creates_a_tenant_and_edits_its_quotas_and_rate_limit(console, admin):
    browser = console()
    browser.sign_in(ADMIN_KEY)
    created = browser.post("/admin/tenants", {"slug": "initech", "name": "Initech"})
    assert created.headers["location"] == "/admin/tenants/initech"
    fields = {f"quota_{r}": "" for r in ("experiments", "datasets", "storage_bytes")}
    fields |= {"quota_models": "7", "quota_users": "3", "quota_deployments": "1"}
    fields |= {"quota_concurrent_training_jobs": "2", "requests_per_minute": "90", "burst": "9"}
    edited = browser.post("/admin/tenants/initech", fields)
    assert edited.status_code == 303, edited.text[-1500:]
    tenant = admin.get_tenant("initech")
    assert tenant["quotas"]["models"] == 7 and tenant["quotas"]["experiments"] is None
    assert tenant["rate_limit"] == {"requests_per_minute": 90, "burst": 9}
    assert "initech" in browser.http.get("/admin/tenants").text


def test_the_admin_sets_and_clears_a_tenants_prediction_log_bounds(console, tenant, admin):
    browser = console()
    browser.sign_in(ADMIN_KEY)
    path = f"/admin/tenants/{tenant.slug}"
    edited = browser.post(path, {"log_retention_days": "2.5", "log_max_bytes": "4096"})
    assert edited.status_code == 303, edited.text[-1500:]
    bounds = admin.get_tenant(tenant.slug)["prediction_log"]
    assert (bounds["retention_days"], bounds["max_bytes"]) == (2.5, 4096)
    assert 'name="log_max_bytes" type="number" min="1" value="4096"' in browser.http.get(path).text
    for bad in ({"log_retention_days": "0"}, {"log_max_bytes": "lots"}):
        refused = browser.post(path, bad)
        assert refused.status_code == 422 and "prediction_log" in refused.text
        assert "Traceback" not in refused.text
    browser.post(path, {"log_retention_days": "", "log_max_bytes": ""})
    bounds = admin.get_tenant(tenant.slug)["prediction_log"]
    assert bounds["retention_days_override"] is None and bounds["max_bytes_override"] is None


def test_an_invalid_tenant_slug_is_a_readable_error(console):
    browser = console()
    browser.sign_in(ADMIN_KEY)
    response = browser.post("/admin/tenants", {"slug": "Not A Slug", "name": "x"})
    assert response.status_code == 422
    assert "invalid slug" in response.text and "Traceback" not in response.text


def test_an_owner_adds_a_user_and_a_key_shown_once_that_works_then_revokes_it(console, tenant):
    browser = console()
    browser.sign_in(tenant.owner_key)
    added = browser.post("/admin/users", {"username": "ursula", "role": "viewer"})
    user_path = added.headers["location"]
    page = browser.post(f"{user_path}/keys", {"name": "laptop"})
    key = re.search(r'id="issued-key">(mst_[^<]+)<', page.text).group(1)
    headers = {"Authorization": f"Bearer {key}"}
    me = httpx.get(f"{tenant.url}/api/v1/me", headers=headers).json()
    assert me["user"]["username"] == "ursula" and me["role"] == "viewer"
    assert key not in browser.http.get(user_path).text  # shown once only
    key_id = re.search(r'action="/admin/keys/([^/]+)/revoke"', page.text).group(1)
    user_id = user_path.rsplit("/", 1)[1]
    browser.post(f"/admin/keys/{key_id}/revoke", {"user_id": user_id})
    assert httpx.get(f"{tenant.url}/api/v1/me", headers=headers).status_code == 401


def test_an_owner_changes_a_role_and_disables_a_user_from_the_console(console, tenant, admin):
    member = admin.create_user(tenant.slug, "mo", "member")
    browser = console()
    browser.sign_in(tenant.owner_key)
    browser.post(f"/admin/users/{member['id']}", {"role": "viewer"})
    browser.post(f"/admin/users/{member['id']}", {"disabled": "true"})
    users = {u["username"]: u for u in admin.list_users(tenant.slug)}
    assert users["mo"]["role"] == "viewer" and users["mo"]["disabled"] is True


def test_a_member_cannot_reach_the_users_pages(console, tenant, admin):
    member = admin.create_user(tenant.slug, "meg", "member")
    browser = console()
    browser.sign_in(admin.create_api_key(member["id"], "k")["key"])
    assert browser.http.get("/admin/users").status_code == 403
    assert browser.post("/admin/users", {"username": "x", "role": "owner"}).status_code == 403


def test_an_owner_deletes_a_user_after_typing_their_name_and_their_session_ends(
    console, tenant, admin
):
    member = admin.create_user(tenant.slug, "dan", "member")
    member_browser = console()
    member_browser.sign_in(admin.create_api_key(member["id"], "k")["key"])
    browser = console()
    browser.sign_in(tenant.owner_key)
    page = browser.http.get(f"/admin/users/{member['id']}").text
    assert f'action="/admin/users/{member["id"]}/delete"' in page

    mistyped = browser.post(f"/admin/users/{member['id']}/delete", {"confirm": "dave"})
    unsigned = browser.post(f"/admin/users/{member['id']}/delete", {"confirm": "dan"}, token=False)
    assert mistyped.status_code == 422 and "to confirm" in mistyped.text
    assert unsigned.status_code == 403
    assert "dan" in {u["username"] for u in admin.list_users(tenant.slug)}

    deleted = browser.post(f"/admin/users/{member['id']}/delete", {"confirm": "dan"})

    assert deleted.status_code == 303 and deleted.headers["location"] == "/admin/users"
    assert "dan" not in {u["username"] for u in admin.list_users(tenant.slug)}
    assert member_browser.http.get("/experiments").status_code == 303


def test_the_console_refuses_to_remove_the_last_owner_with_a_readable_page(console, tenant):
    browser = console()
    browser.sign_in(tenant.owner_key)
    own_page = browser.http.get(f"/admin/users/{tenant.owner_id}").text
    assert "/delete" not in own_page  # no delete form for yourself
    response = browser.post(f"/admin/users/{tenant.owner_id}/delete", {"confirm": "owner"})
    assert response.status_code == 409 and "Traceback" not in response.text
    assert "cannot delete yourself" in response.text
