"""Deploy and predict: skops pipelines are served exactly; pickles are stored but never loaded."""

import hashlib
import pickle

import httpx
import polars as pl
import pytest

from maestro.client import ConflictError, MaestroAPIError, NotFoundError, ValidationError
from maestro.ml.serialization import dump_model
from tests.registry.conftest import both_stores, touch_on_load


@both_stores
def test_a_skops_pipeline_serves_exactly_the_local_predictions(owner, trained, server):
    owner.create_model("churn", description="churn classifier", tags={"team": "growth"})
    version = owner.upload_version(
        "churn", trained.artifact, "skops", {"framework": "scikit-learn", "metrics": {"auc": 0.9}}
    )
    assert version["version"] == 1
    assert version["size_bytes"] == len(trained.artifact)
    assert version["sha256"] == hashlib.sha256(trained.artifact).hexdigest()
    assert version["metadata"]["metrics"] == {"auc": 0.9}

    owner.set_alias("churn", "production", 1)
    deployed = owner.deploy("churn", "production")
    assert deployed["version"] == 1

    result = owner.predict("churn", trained.rows)
    local = pl.DataFrame(trained.rows)
    assert result["model_version"] == 1
    assert result["predictions"] == trained.model.predict(local).tolist()
    assert result["probabilities"] == trained.model.predict_proba(local).tolist()

    model = owner.get_model("churn")
    assert model["aliases"] == {"production": 1}
    assert model["deployment"]["version"] == 1
    assert owner.download_artifact("churn", "production") == trained.artifact


@both_stores
def test_pickles_are_stored_but_never_loaded(owner, hostile, server):
    # The recipe is armed: loading such a pickle here, on purpose, creates its marker.
    armed = hostile.marker.with_name("armed.marker")
    pickle.loads(touch_on_load(armed))
    assert armed.exists()

    owner.create_model("sneaky")
    uploads = [
        (hostile.pickle, "other"),
        (hostile.joblib, "other"),
        (hostile.pickle, "skops"),  # lying about the format changes nothing
        (hostile.joblib, "skops"),
    ]
    for number, (payload, claimed) in enumerate(uploads, start=1):
        version = owner.upload_version("sneaky", payload, claimed)
        assert version["version"] == number and version["format"] == claimed
        assert owner.download_artifact("sneaky", number) == payload
        with pytest.raises(MaestroAPIError) as refused:
            owner.deploy("sneaky", number)
        assert refused.value.status_code == 400
        assert refused.value.code == "unsupported_artifact"

    with pytest.raises(ConflictError):  # nothing got deployed
        owner.predict("sneaky", [{"x": 1}])
    assert owner.get_model("sneaky")["deployment"] is None
    assert not hostile.marker.exists()


def test_onnx_corrupt_and_non_estimator_artifacts_are_not_servable(owner):
    owner.create_model("m")
    owner.upload_version("m", b"\x08\x07onnx-bytes", "onnx")
    owner.upload_version("m", b"PK\x03\x04 not really a zip", "skops")
    owner.upload_version("m", dump_model({"weights": [1.0, 2.0]}), "skops")
    for version in (1, 2, 3):
        with pytest.raises(MaestroAPIError) as refused:
            owner.deploy("m", version)
        assert (refused.value.status_code, refused.value.code) == (400, "unsupported_artifact")


def test_bad_instances_are_422_never_500(owner, trained, server, tenant):
    owner.create_model("churn")
    owner.upload_version("churn", trained.artifact, "skops")
    owner.deploy("churn", 1)
    good = trained.rows[0]
    bad_batches = [
        [{"age": 30.0, "plan": "pro"}],  # missing income
        [{**good, "age": "thirty"}],  # wrong type
        [{**good, "plan": 3}],  # wrong type for a category
        [],  # nothing to predict
    ]
    for instances in bad_batches:
        with pytest.raises(ValidationError) as invalid:
            owner.predict("churn", instances)
        assert invalid.value.status_code == 422
    with pytest.raises(ValidationError) as invalid:
        owner.predict("churn", [{"age": 30.0, "plan": "pro"}])
    assert invalid.value.details["missing"] == ["income"]

    headers = {"Authorization": f"Bearer {tenant.owner_key}"}
    url = f"{server.url}/api/v1/models/churn/predict"
    too_many = httpx.post(url, json={"instances": [{"age": 1}] * 10_001}, headers=headers)
    nested = httpx.post(url, json={"instances": [{**good, "age": [1, 2]}]}, headers=headers)
    assert too_many.status_code == nested.status_code == 422
    assert (
        owner.predict("churn", [good])["predictions"]
        == trained.model.predict(pl.DataFrame([good])).tolist()
    )


def test_redeploy_replaces_and_undeploy_stops_serving(owner, trained, quota_used, tenant):
    owner.create_model("churn")
    owner.upload_version("churn", trained.artifact, "skops")
    owner.upload_version("churn", trained.artifact, "skops")
    assert owner.deploy("churn", 1)["version"] == 1
    assert owner.deploy("churn", "latest")["version"] == 2
    assert quota_used(tenant.slug, "deployments") == 1
    assert owner.predict("churn", trained.rows[:2])["model_version"] == 2

    owner.undeploy("churn")
    assert quota_used(tenant.slug, "deployments") == 0
    with pytest.raises(ConflictError):
        owner.predict("churn", trained.rows[:2])
    with pytest.raises(ConflictError):
        owner.undeploy("churn")


def test_loaded_models_stay_warm_in_their_worker(owner, trained, server):
    pool = server.app.state.ctx.serving.pool
    owner.create_model("churn")
    owner.upload_version("churn", trained.artifact, "skops")
    owner.deploy("churn", 1)
    sent = pool.artifacts_sent
    for _ in range(3):
        owner.predict("churn", trained.rows[:1])
    assert pool.artifacts_sent == sent


def test_another_tenant_cannot_reach_a_model(make_tenant, trained):
    a, b = make_tenant(), make_tenant()
    with a.client() as as_a, b.client() as as_b:
        as_a.create_model("churn")
        as_a.upload_version("churn", trained.artifact, "skops")
        as_a.set_alias("churn", "production", 1)
        as_a.deploy("churn", 1)
        for call in (
            lambda: as_b.get_model("churn"),
            lambda: as_b.update_model("churn", description="mine"),
            lambda: as_b.list_versions("churn"),
            lambda: as_b.get_version("churn", 1),
            lambda: as_b.download_artifact("churn", "production"),
            lambda: as_b.upload_version("churn", trained.artifact, "skops"),
            lambda: as_b.set_alias("churn", "staging", 1),
            lambda: as_b.delete_alias("churn", "production"),
            lambda: as_b.deploy("churn", 1),
            lambda: as_b.undeploy("churn"),
            lambda: as_b.predict("churn", trained.rows[:1]),
            lambda: as_b.delete_model("churn"),
        ):
            with pytest.raises(NotFoundError):
                call()
        assert as_b.list_models() == []
        assert as_a.predict("churn", trained.rows[:1])["model_version"] == 1
