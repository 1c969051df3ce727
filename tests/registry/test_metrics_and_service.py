"""Operation metrics (success and failure), and the service API training jobs call directly."""

import pytest

from maestro.client import MaestroAPIError
from maestro.errors import NotFound, QuotaExceeded
from tests.registry.conftest import metric, scrape

OPERATIONS = "maestro_ml_model_operations_total"


def _count(samples, tenant: str, operation: str, status: str) -> float:
    return metric(samples, OPERATIONS, tenant_id=tenant, operation=operation, status=status)


def test_every_operation_is_counted_as_success_or_failure(unique_tenant, trained, server):
    tenant = unique_tenant(quotas={"models": 1})
    before = scrape(server.url)  # model sizes have no tenant label: compare with this
    with tenant.client() as owner:
        owner.create_model("m")
        refused = [
            lambda: owner.create_model("n"),  # quota exceeded
            lambda: owner.update_model("missing", description="x"),
            lambda: owner.delete_model("missing"),
            lambda: owner.upload_version("m", b"", "other"),  # empty
            lambda: owner.upload_version("m", b"abc", "pickle"),  # bad format
            lambda: owner.deploy("m", 1),  # no such version yet
            lambda: owner.undeploy("m"),  # not deployed
        ]
        for call in refused:
            with pytest.raises(MaestroAPIError):
                call()
        owner.update_model("m", description="ok")
        owner.upload_version("m", trained.artifact, "skops")
        owner.upload_version("m", b"x" * 3000, "other")
        owner.deploy("m", 1)
        with pytest.raises(MaestroAPIError):
            owner.deploy("m", 2)  # not servable
        owner.undeploy("m")
        owner.delete_model("m")

    samples = scrape(server.url)
    expected = {
        "create": (1, 1),
        "update": (1, 1),
        "delete": (1, 1),
        "register_version": (2, 2),
        "deploy": (1, 2),
        "undeploy": (1, 1),
    }
    for operation, (success, failure) in expected.items():
        assert _count(samples, tenant.slug, operation, "success") == success, operation
        assert _count(samples, tenant.slug, operation, "failure") == failure, operation
    for name, added in (("count", 2), ("sum", len(trained.artifact) + 3000)):
        sizes = f"maestro_ml_model_size_bytes_{name}"
        assert metric(samples, sizes) == metric(before, sizes) + added, name


def _principal(server, key):
    ctx = server.app.state.ctx
    with ctx.db.session() as session:
        return ctx.identity.authenticate(session, key).principal


def test_jobs_register_versions_from_bytes(unique_tenant, server, trained, stored_objects):
    tenant = unique_tenant(quotas={"models": 1})
    ctx = server.app.state.ctx
    principal = _principal(server, tenant.owner_key)
    with ctx.db.session() as session:
        first = ctx.registry.register_version_bytes(
            session, principal, "auto", trained.artifact, "skops", {"source_job_id": "job-1"}
        )
    with ctx.db.session() as session:
        second = ctx.registry.register_version_bytes(session, principal, "auto", trained.artifact)
    assert (first.version.version, second.version.version) == (1, 2)

    with tenant.client() as owner:
        assert owner.get_version("auto", 1)["metadata"] == {"source_job_id": "job-1"}
        owner.deploy("auto", "latest")
        assert owner.predict("auto", trained.rows[:3])["model_version"] == 2
    samples = scrape(server.url)
    assert _count(samples, tenant.slug, "create", "success") == 1
    assert _count(samples, tenant.slug, "register_version", "success") == 2

    with pytest.raises(QuotaExceeded), ctx.db.session() as session:  # models quota is 1
        ctx.registry.register_version_bytes(session, principal, "other", b"abc", "other")
    with pytest.raises(NotFound), ctx.db.session() as session:
        ctx.registry.register_version_bytes(
            session, principal, "other", b"abc", "other", create_model_if_missing=False
        )
    assert len(stored_objects()) == 2


def test_a_rolled_back_registration_leaves_no_artifact(unique_tenant, server, stored_objects):
    tenant = unique_tenant()
    ctx = server.app.state.ctx
    principal = _principal(server, tenant.owner_key)
    with pytest.raises(RuntimeError), ctx.db.session() as session:
        ctx.registry.register_version_bytes(session, principal, "m", b"abc", "other")
        assert len(stored_objects()) == 1
        raise RuntimeError("the job failed after registering")
    assert stored_objects() == []
    with tenant.client() as owner:
        assert owner.list_models() == []
        assert owner.usage(tenant.slug)["resources"]["storage_bytes"]["used"] == 0
