"""Tenancy, roles and quotas reach MLflow users as MLflow error codes."""

import httpx
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

pytestmark = pytest.mark.slow


def _log_a_run_with_a_model(name: str) -> str:
    import mlflow
    import mlflow.sklearn

    model = LinearRegression().fit(np.arange(20.0).reshape(10, 2), np.arange(10.0))
    mlflow.set_experiment("private")
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", "0.5")
        mlflow.log_metric("rmse", 0.25)
        mlflow.log_text("secret", "notes/secret.txt")
        mlflow.sklearn.log_model(model, name="model", registered_model_name=name)
    return run.info.run_id


def test_another_tenants_key_sees_none_of_the_runs_models_or_artifacts(
    make_mlflow_tenant, as_tenant, tmp_path
):
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    owner, other = make_mlflow_tenant(), make_mlflow_tenant()
    with as_tenant(owner):
        run_id = _log_a_run_with_a_model("secret-model")
        experiment_id = mlflow.get_experiment_by_name("private").experiment_id

    with as_tenant(other):
        client = MlflowClient()
        assert mlflow.get_experiment_by_name("private") is None
        assert client.search_experiments() == []
        assert mlflow.search_runs(experiment_ids=[experiment_id]).empty
        assert client.search_registered_models() == []
        for attempt in (
            lambda: client.get_run(run_id),
            lambda: client.get_experiment(experiment_id),
            lambda: client.get_registered_model("secret-model"),
            lambda: client.get_model_version("secret-model", "1"),
            lambda: client.log_metric(run_id, "rmse", 99.0),
            lambda: client.set_registered_model_alias("secret-model", "mine", 1),
        ):
            with pytest.raises(MlflowException) as error:
                attempt()
            assert error.value.error_code == "RESOURCE_DOES_NOT_EXIST"
        with pytest.raises(Exception, match="404"):
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts/notes",
                dst_path=str(tmp_path),
            )

    with as_tenant(owner):  # and nothing of the owner's changed
        assert MlflowClient().get_run(run_id).data.metrics == {"rmse": 0.25}


def test_a_viewer_key_can_read_but_gets_permission_denied_on_every_write(
    make_mlflow_tenant, as_tenant
):
    import mlflow
    from mlflow import MlflowClient

    tenant = make_mlflow_tenant()
    with as_tenant(tenant):
        run_id = _log_a_run_with_a_model("viewable")
    viewer_key = tenant.key_for("viewer")

    with as_tenant(tenant, viewer_key):
        client = MlflowClient()
        assert client.get_run(run_id).data.params == {"alpha": "0.5"}
        assert client.get_registered_model("viewable").name == "viewable"
        for attempt in (
            lambda: client.create_experiment("viewer-experiment"),
            lambda: client.log_metric(run_id, "rmse", 1.0),
            lambda: client.set_tag(run_id, "k", "v"),
            lambda: client.create_registered_model("viewer-model"),
            lambda: client.set_registered_model_alias("viewable", "prod", 1),
            lambda: client.log_text(run_id, "x", "viewer.txt"),
        ):
            # The artifact proxy raises requests' HTTPError, the REST API an MlflowException.
            with pytest.raises(Exception, match="PERMISSION_DENIED"):
                attempt()
    assert mlflow.active_run() is None


def test_register_model_at_the_models_quota_gets_resource_exhausted(make_mlflow_tenant, as_tenant):
    import mlflow
    from mlflow.exceptions import MlflowException

    tenant = make_mlflow_tenant(quotas={"models": 1})
    with as_tenant(tenant):
        run_id = _log_a_run_with_a_model("the-only-model")
        with pytest.raises(MlflowException) as error:
            mlflow.register_model(f"runs:/{run_id}/model", "one-too-many")
    assert error.value.error_code == "RESOURCE_EXHAUSTED"
    with tenant.maestro() as maestro:
        assert [m["name"] for m in maestro.list_models()] == ["the-only-model"]


def test_the_rate_limit_answers_429_with_retry_after_in_mlflows_shape(make_mlflow_tenant):
    tenant = make_mlflow_tenant(rate_limit={"requests_per_minute": 60, "burst": 2})
    headers = {"Authorization": f"Bearer {tenant.key}"}
    with httpx.Client(base_url=tenant.url, headers=headers) as http:
        responses = [
            http.get("/api/2.0/mlflow/experiments/search", params={"max_results": 5})
            for _ in range(3)
        ]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert int(responses[-1].headers["Retry-After"]) >= 1
    assert responses[-1].json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
