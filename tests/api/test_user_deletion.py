"""Deleting users: what goes with them, what outlives them, and the tenant's last owner."""

import threading
import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select, text

from maestro.client import ConflictError, NotFoundError, PermissionDeniedError
from maestro.db.models import ApiKey, ConsoleSession, User
from maestro.errors import Conflict
from maestro.services.principal import Principal, Role
from tests.conftest import ADMIN_KEY
from tests.console.conftest import ConsoleBrowser
from tests.recovery.conftest import training_csv
from tests.support.usage import usage_everywhere


def api(url: str, key: str, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.request(method, f"{url}/api/v1{path}", headers=headers, timeout=30, **kwargs)


def test_deleting_a_user_ends_their_keys_and_sessions_and_returns_the_quota(
    server, tenant, owner, admin
):
    member = owner.create_user(tenant.slug, "mia", "member")
    key = owner.create_api_key(member["id"], "laptop")["key"]
    browser = ConsoleBrowser(server.url)
    try:
        browser.sign_in(key)
        assert browser.http.get("/experiments").status_code == 200
        used = usage_everywhere(server, owner, tenant.slug, "users")

        response = api(tenant.url, tenant.owner_key, "DELETE", f"/users/{member['id']}")

        assert response.status_code == 204 and response.content == b""
        assert api(tenant.url, key, "GET", "/me").status_code == 401
        assert browser.http.get("/experiments").status_code == 303  # back to sign-in
        assert browser.sign_in(key).status_code == 401
    finally:
        browser.close()
    assert usage_everywhere(server, owner, tenant.slug, "users") == used - 1
    assert "mia" not in {u["username"] for u in owner.list_users(tenant.slug)}
    with server.app.state.ctx.db.session() as session:
        for table in (ApiKey, ConsoleSession):
            assert session.scalar(select(table.id).where(table.user_id == member["id"])) is None
    with pytest.raises(NotFoundError):
        admin.delete_user(member["id"])  # already gone


def test_another_tenants_user_is_not_found_and_stays(make_tenant, admin):
    ours, theirs = make_tenant(), make_tenant()
    victim = admin.create_user(theirs.slug, "vic", "member")
    response = api(ours.url, ours.owner_key, "DELETE", f"/users/{victim['id']}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert "vic" in {u["username"] for u in admin.list_users(theirs.slug)}


def test_members_cannot_delete_users(tenant, owner):
    member = owner.create_user(tenant.slug, "mo", "member")
    other = owner.create_user(tenant.slug, "max", "member")
    key = owner.create_api_key(member["id"])["key"]
    with tenant.client(key) as as_member, pytest.raises(PermissionDeniedError):
        as_member.delete_user(other["id"])


def test_nobody_deletes_themselves(tenant, owner, admin):
    second = owner.create_user(tenant.slug, "olga", "owner")  # not the last owner either way
    with pytest.raises(ConflictError) as refused:
        owner.delete_user(tenant.owner_id)
    assert refused.value.status_code == 409 and refused.value.code == "conflict"
    assert second["id"] != tenant.owner_id
    admin_id = admin.me()["user"]["id"]
    assert api(tenant.url, ADMIN_KEY, "DELETE", f"/users/{admin_id}").status_code == 404


def test_the_last_enabled_owner_cannot_be_deleted_demoted_or_disabled(tenant, owner, admin):
    disabled_owner = owner.create_user(tenant.slug, "dora", "owner")
    owner.update_user(disabled_owner["id"], disabled=True)  # a disabled owner does not count
    path = f"/users/{tenant.owner_id}"

    refusals = [
        api(tenant.url, ADMIN_KEY, "DELETE", path),
        api(tenant.url, ADMIN_KEY, "PATCH", path, json={"role": "member"}),
        api(tenant.url, ADMIN_KEY, "PATCH", path, json={"disabled": True}),
    ]

    for response in refusals:
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "conflict" and error["details"] == {"reason": "last_owner"}
        assert "last enabled owner" in error["message"]
    users = {u["username"]: u for u in admin.list_users(tenant.slug)}
    assert users["owner"]["role"] == "owner" and users["owner"]["disabled"] is False
    admin.delete_user(disabled_owner["id"])  # deleting a disabled owner leaves the enabled one


def test_with_a_second_owner_one_owner_can_be_removed(tenant, owner, admin):
    second = owner.create_user(tenant.slug, "olga", "owner")
    assert admin.update_user(tenant.owner_id, role="member")["role"] == "member"
    with pytest.raises(ConflictError):
        admin.update_user(second["id"], role="viewer")  # now she is the last one
    admin.delete_user(tenant.owner_id)
    assert [u["username"] for u in admin.list_users(tenant.slug)] == ["olga"]


def _admin(server) -> Principal:
    with server.app.state.ctx.db.session() as session:
        admin_id = session.scalar(select(User.id).where(User.role == Role.ADMIN.value))
    return Principal(admin_id, "admin", Role.ADMIN, None, None)


def _wait_for_a_lock_wait(server, deadline_seconds: float = 20) -> None:
    """Until another connection is blocked on a row lock (PostgreSQL's own view of it)."""
    deadline = time.monotonic() + deadline_seconds
    with server.app.state.ctx.db.engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar()
            if waiting:
                return
            connection.rollback()
            time.sleep(0.02)
    raise AssertionError("the second transaction never waited for the first one's row lock")


@pytest.mark.parametrize("second_action", ["delete", "demote", "disable"])
def test_two_concurrent_removals_of_the_last_two_owners_leave_one(
    server, settings, tenant, owner, admin, second_action
):
    """The first transaction holds its owner row locks; the second must wait, then refuse."""
    if not settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("SQLite serializes writers; the lock wait is PostgreSQL's to prove")
    second = owner.create_user(tenant.slug, "olga", "owner")
    ctx = server.app.state.ctx
    principal = _admin(server)
    actions: dict[str, Callable[..., object]] = {
        "delete": lambda s: ctx.identity.delete_user(s, principal, second["id"]),
        "demote": lambda s: ctx.identity.update_user(s, principal, second["id"], role=Role.MEMBER),
        "disable": lambda s: ctx.identity.update_user(s, principal, second["id"], disabled=True),
    }
    outcome: list[BaseException | None] = []

    def racer() -> None:
        try:
            with ctx.db.session() as session:
                actions[second_action](session)
            outcome.append(None)
        except BaseException as exc:  # reported to the main thread
            outcome.append(exc)

    thread = threading.Thread(target=racer)
    with ctx.db.session() as session:
        ctx.identity.delete_user(session, principal, tenant.owner_id)
        thread.start()
        _wait_for_a_lock_wait(server)
    thread.join(timeout=30)

    assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
    users = admin.list_users(tenant.slug)
    assert [(u["username"], u["role"], u["disabled"]) for u in users] == [("olga", "owner", False)]


def test_a_training_job_launched_by_a_user_deleted_since_still_completes(server, tenant, owner):
    member = owner.create_user(tenant.slug, "leaver", "member")
    key = owner.create_api_key(member["id"], "laptop")["key"]
    with tenant.client(key) as leaver:
        dataset = leaver.upload_dataset(training_csv(400, 3, seed=1), "train", filename="t.csv")
        job = leaver.train(dataset["id"], "y", "logistic_regression", register_as="left-behind")
    assert owner.get_training_job(job["id"])["status"] in ("queued", "running")

    owner.delete_user(member["id"])

    done = owner.wait_for_training_job(job["id"], timeout=120)
    assert (done["status"], done["model_version"], done["error"]) == ("succeeded", 1, None)
    assert [v["version"] for v in owner.list_versions("left-behind")] == [1]
