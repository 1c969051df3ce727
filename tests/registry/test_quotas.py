"""Quotas of the registry hold under concurrency, and every view of usage agrees with the rows."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from maestro.client import MaestroAPIError
from tests.registry.conftest import metric, scrape


def _outcomes(calls: list) -> list[str]:
    """Run the calls at once; each outcome is "ok" or the API error code."""

    def run(call) -> str:
        try:
            call()
        except MaestroAPIError as exc:
            return exc.code
        return "ok"

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_model_quota_holds_under_concurrency(unique_tenant, db_facts, quota_used):
    tenant = unique_tenant(quotas={"models": 5})

    def create(i: int):
        def call() -> None:
            with tenant.client() as client:
                client.create_model(f"m{i}")

        return call

    outcomes = _outcomes([create(i) for i in range(20)])
    assert outcomes.count("ok") == 5
    assert set(outcomes) == {"ok", "quota_exceeded"}
    assert db_facts(tenant.slug).models == quota_used(tenant.slug, "models") == 5


def test_storage_quota_holds_under_concurrency(unique_tenant, stored_objects, quota_used):
    tenant = unique_tenant(quotas={"storage_bytes": 3000})
    with tenant.client() as owner:
        owner.create_model("m")

    def upload(i: int):
        def call() -> None:
            with tenant.client() as client:
                client.upload_version("m", bytes([i]) * 1000, "other")

        return call

    outcomes = _outcomes([upload(i) for i in range(8)])
    assert outcomes.count("ok") == 3
    assert set(outcomes) == {"ok", "quota_exceeded"}
    assert quota_used(tenant.slug, "storage_bytes") == 3000
    assert len(stored_objects()) == 3  # the refused uploads' objects were deleted


def test_deployment_quota_holds_under_concurrency(unique_tenant, trained, quota_used, db_facts):
    tenant = unique_tenant(quotas={"deployments": 2})
    with tenant.client() as owner:
        for name in ("a", "b", "c"):
            owner.create_model(name)
            owner.upload_version(name, trained.artifact, "skops")
            owner.upload_version(name, trained.artifact, "skops")

    def deploy(name: str, version: int):
        def call() -> None:
            with tenant.client() as client:
                client.deploy(name, version)

        return call

    calls = [deploy(name, v) for name in ("a", "b", "c") for v in (1, 2, 1)]
    outcomes = _outcomes(calls)
    assert set(outcomes) <= {"ok", "quota_exceeded"}
    assert db_facts(tenant.slug).deployments == quota_used(tenant.slug, "deployments") == 2

    with tenant.client() as owner:
        deployed = [m["name"] for m in owner.list_models() if m["deployment"]]
        owner.undeploy(deployed[0])
        undeployed = next(n for n in ("a", "b", "c") if n not in deployed[1:])
        owner.deploy(undeployed, 2)
    assert quota_used(tenant.slug, "deployments") == 2


@pytest.mark.parametrize("artifact_backend", ["s3"], indirect=True)
def test_usage_endpoint_and_metrics_agree_with_the_database(
    unique_tenant, trained, server, db_facts, admin
):
    tenant = unique_tenant(quotas={"models": 4, "storage_bytes": 10**7, "deployments": 4})
    with tenant.client() as owner:
        for name in ("a", "b", "c"):
            owner.create_model(name)
            owner.upload_version(name, trained.artifact, "skops")
        owner.upload_version("a", b"extra", "other")
        owner.deploy("a", 1)
        owner.deploy("b", 1)
        owner.delete_model("b")

    facts = db_facts(tenant.slug)
    assert (facts.models, facts.deployments) == (2, 1)
    assert facts.storage_bytes == 2 * len(trained.artifact) + 5
    usage = admin.usage(tenant.slug)["resources"]
    samples = scrape(server.url)
    for resource, used in (
        ("models", facts.models),
        ("storage_bytes", facts.storage_bytes),
        ("deployments", facts.deployments),
    ):
        assert usage[resource]["used"] == used, resource
        ratio = metric(
            samples,
            "maestro_tenant_quota_usage_ratio",
            tenant_id=tenant.slug,
            resource_type=resource,
        )
        assert ratio == pytest.approx(usage[resource]["ratio"]), resource
        assert ratio == pytest.approx(used / usage[resource]["limit"]), resource
    assert metric(samples, "maestro_ml_models_total", tenant_id=tenant.slug) == 2
