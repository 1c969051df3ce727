"""Per-tenant prediction log bounds: each tenant's retention and maximum size are its own, set by
the platform admin, and the bytes the log keeps are exactly what its storage_bytes usage counts."""

import json
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from maestro.cli import app
from maestro.client import MaestroClient
from maestro.db.base import utcnow
from maestro.db.models import PredictionRecord, Tenant
from maestro.db.session import Database
from tests.conftest import ADMIN_KEY, TenantHandle
from tests.support.live_server import LiveServer

ROWS = [[0.5, -1.25], [1.5, 0.75], [-0.5, 2.0]]


def tenant_id(db: Database, slug: str) -> str:
    with db.session() as session:
        return session.scalars(select(Tenant.id).where(Tenant.slug == slug)).one()


def log_of(db: Database, slug: str) -> dict[str, int]:
    """The tenant's logged rows: prediction id -> size in bytes."""
    with db.session() as session:
        rows = session.execute(
            select(PredictionRecord.id, PredictionRecord.size_bytes).where(
                PredictionRecord.tenant_id == tenant_id(db, slug)
            )
        )
        return {row_id: size for row_id, size in rows}


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def predict_logged(client: MaestroClient, db: Database, slug: str) -> list[str]:
    """Predict three rows and wait until the writer has stored them; their prediction ids."""
    ids = client.predict("scorer", ROWS)["prediction_ids"]
    wait_for(lambda: set(ids) <= set(log_of(db, slug)), "the logged rows")
    return ids


def storage_used(client: MaestroClient, slug: str) -> int:
    return client.usage(slug)["resources"]["storage_bytes"]["used"]


def age(db: Database, ids: list[str], days: float) -> None:
    """Make rows look `days` old (the only way to get old rows without waiting for them)."""
    with db.session() as session:
        session.execute(
            update(PredictionRecord)
            .where(PredictionRecord.id.in_(ids))
            .values(created_at=utcnow() - timedelta(days=days))
        )


def test_each_tenant_keeps_its_log_for_its_own_retention(
    server: LiveServer, make_tenant, admin, deploy_positional, db
):
    short, long = make_tenant(), make_tenant()
    admin.update_tenant(short.slug, prediction_log={"retention_days": 1})
    admin.update_tenant(long.slug, prediction_log={"retention_days": 7})
    kept: dict[str, set[str]] = {}
    before: dict[str, int] = {}
    for handle in (short, long):
        with handle.client() as client:
            deploy_positional(client, "scorer")
            before[handle.slug] = storage_used(client, handle.slug)
            old = predict_logged(client, db, handle.slug)
            age(db, old, days=3)
            fresh = predict_logged(client, db, handle.slug)
            kept[handle.slug] = set(fresh) if handle is short else {*old, *fresh}

    server.app.state.ctx.prediction_log.sweep()

    for handle in (short, long):
        log = log_of(db, handle.slug)
        assert set(log) == kept[handle.slug]
        with handle.client() as client:
            assert storage_used(client, handle.slug) - before[handle.slug] == sum(log.values())


def test_a_tenant_log_stays_within_its_max_bytes_and_storage_counts_what_is_kept(
    server: LiveServer, tenant, owner, admin, deploy_positional, db
):
    deploy_positional(owner, "scorer")
    before = storage_used(owner, tenant.slug)
    first = predict_logged(owner, db, tenant.slug)
    one_request = sum(log_of(db, tenant.slug).values())
    cap = one_request * 5 // 2  # two requests and part of a third
    admin.update_tenant(tenant.slug, prediction_log={"max_bytes": cap})

    def stored_within_cap(ids: list[str]) -> bool:
        log = log_of(db, tenant.slug)
        return set(ids) <= set(log) and sum(log.values()) <= cap

    for _ in range(6):  # the writer trims as it goes: no sweep in this test
        ids = owner.predict("scorer", ROWS)["prediction_ids"]
        wait_for(lambda: stored_within_cap(ids), "the newest rows stored within the cap")  # noqa: B023
        kept = log_of(db, tenant.slug)
        assert sum(kept.values()) <= cap
        assert storage_used(owner, tenant.slug) - before == sum(kept.values())

    assert not set(first) & set(kept)  # the oldest rows went first
    assert sum(kept.values()) > cap - one_request  # and only as many as needed
    assert server.app.state.ctx.prediction_log.sweep() == 0


def test_the_admin_sets_shows_and_resets_a_tenants_bounds(
    server: LiveServer, tenant, owner, admin, settings
):
    defaults = {
        "retention_days": settings.prediction_log_retention_days,
        "max_bytes": settings.prediction_log_max_bytes,
        "retention_days_override": None,
        "max_bytes_override": None,
    }
    assert admin.get_tenant(tenant.slug)["prediction_log"] == defaults

    changed = admin.update_tenant(
        tenant.slug, prediction_log={"retention_days": 1.5, "max_bytes": 4096}
    )
    own = {
        "retention_days": 1.5,
        "max_bytes": 4096,
        "retention_days_override": 1.5,
        "max_bytes_override": 4096,
    }
    assert changed["prediction_log"] == own
    assert admin.get_tenant(tenant.slug)["prediction_log"] == own
    # A PATCH merges: the size given alone leaves the retention as it was.
    merged = admin.update_tenant(tenant.slug, prediction_log={"max_bytes": 8192})
    assert merged["prediction_log"]["retention_days"] == 1.5
    assert merged["prediction_log"]["max_bytes"] == 8192
    owner.create_model("scorer")
    assert owner.monitoring("scorer")["retention_days"] == 1.5
    assert owner.monitoring("scorer")["max_bytes_per_tenant"] == 8192

    assert admin.update_tenant(tenant.slug, prediction_log=None)["prediction_log"] == defaults


def test_the_admin_gives_a_new_tenant_its_bounds_at_creation(server: LiveServer, admin):
    created = admin.create_tenant(
        "bounded-at-birth", "Bounded", prediction_log={"retention_days": 2, "max_bytes": 65536}
    )

    assert created["prediction_log"]["retention_days_override"] == 2
    assert created["prediction_log"]["max_bytes_override"] == 65536
    assert admin.get_tenant("bounded-at-birth")["prediction_log"] == created["prediction_log"]


def test_out_of_range_bounds_at_creation_create_no_tenant(server: LiveServer, admin):
    response = httpx.post(
        f"{server.url}/api/v1/tenants",
        json={"slug": "never-made", "name": "x", "prediction_log": {"max_bytes": 0}},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert "never-made" not in [t["slug"] for t in admin.list_tenants()]


@pytest.mark.parametrize(
    "bounds",
    [
        {"retention_days": 0},
        {"retention_days": -1},
        {"retention_days": 3651},
        {"retention_days": "7"},
        {"retention_days": True},
        {"max_bytes": 0},
        {"max_bytes": -4096},
        {"max_bytes": 2**40 + 1},
        {"max_bytes": 1.5},
        {"max_bytes": "4096"},
        {"retention": 1},
    ],
)
def test_out_of_range_bounds_are_a_validation_error(server: LiveServer, tenant, admin, bounds):
    response = httpx.patch(
        f"{server.url}/api/v1/tenants/{tenant.slug}",
        json={"prediction_log": bounds},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert admin.get_tenant(tenant.slug)["prediction_log"]["max_bytes_override"] is None


def test_only_the_platform_admin_sets_bounds(
    server: LiveServer, make_tenant: Callable[..., TenantHandle], admin
):
    mine, theirs = make_tenant(), make_tenant()
    body = {"prediction_log": {"retention_days": 3650, "max_bytes": 2**40}}
    for slug, status in ((mine.slug, 403), (theirs.slug, 404)):
        response = httpx.patch(
            f"{server.url}/api/v1/tenants/{slug}",
            json=body,
            headers={"Authorization": f"Bearer {mine.owner_key}"},
        )
        assert response.status_code == status
        assert admin.get_tenant(slug)["prediction_log"]["retention_days_override"] is None


def test_the_admin_cli_updates_a_tenants_bounds(server: LiveServer, tenant, admin):
    runner = CliRunner(env={"MAESTRO_URL": server.url, "MAESTRO_ADMIN_KEY": ADMIN_KEY})

    def run(*args: str) -> dict:
        result = runner.invoke(app, ["admin", "update-tenant", tenant.slug, *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["prediction_log"]

    shown = run("--log-retention-days", "2", "--log-max-bytes", "65536")
    assert (shown["retention_days"], shown["max_bytes"]) == (2.0, 65536)
    assert run("--log-defaults")["max_bytes_override"] is None
    refused = runner.invoke(app, ["admin", "update-tenant", tenant.slug, "--log-max-bytes", "0"])
    assert refused.exit_code == 2 and "validation_error" in refused.output
