"""The MLflow routes at the HTTP level: isolation on every route, error shapes, metrics labels."""

import httpx
import pytest
from fastapi.routing import APIRoute

from maestro.api.app import ROUTERS
from maestro.mlflow_compat.routers.common import API, ARTIFACTS_API

pytestmark = pytest.mark.slow

# Every MLflow route that names an object, called with tenant A's identifiers by tenant B.
ISOLATION: dict[tuple[str, str], dict] = {
    ("GET", f"{API}/experiments/get"): {"params": {"experiment_id": "{experiment_id}"}},
    ("GET", f"{API}/experiments/get-by-name"): {"params": {"experiment_name": "{experiment}"}},
    ("POST", f"{API}/experiments/delete"): {"json": {"experiment_id": "{experiment_id}"}},
    ("POST", f"{API}/experiments/restore"): {"json": {"experiment_id": "{experiment_id}"}},
    ("POST", f"{API}/experiments/update"): {
        "json": {"experiment_id": "{experiment_id}", "new_name": "stolen"}
    },
    ("POST", f"{API}/experiments/set-experiment-tag"): {
        "json": {"experiment_id": "{experiment_id}", "key": "k", "value": "v"}
    },
    ("POST", f"{API}/experiments/delete-experiment-tag"): {
        "json": {"experiment_id": "{experiment_id}", "key": "k"}
    },
    ("POST", f"{API}/runs/create"): {"json": {"experiment_id": "{experiment_id}"}},
    ("GET", f"{API}/runs/get"): {"params": {"run_id": "{run_id}"}},
    ("POST", f"{API}/runs/update"): {"json": {"run_id": "{run_id}", "status": "KILLED"}},
    ("POST", f"{API}/runs/delete"): {"json": {"run_id": "{run_id}"}},
    ("POST", f"{API}/runs/restore"): {"json": {"run_id": "{run_id}"}},
    ("POST", f"{API}/runs/log-metric"): {"json": {"run_id": "{run_id}", "key": "m", "value": 1}},
    ("POST", f"{API}/runs/log-parameter"): {
        "json": {"run_id": "{run_id}", "key": "p", "value": "v"}
    },
    ("POST", f"{API}/runs/set-tag"): {"json": {"run_id": "{run_id}", "key": "t", "value": "v"}},
    ("POST", f"{API}/runs/delete-tag"): {"json": {"run_id": "{run_id}", "key": "t"}},
    ("POST", f"{API}/runs/log-batch"): {"json": {"run_id": "{run_id}", "params": []}},
    ("POST", f"{API}/runs/log-model"): {"json": {"run_id": "{run_id}"}},
    ("POST", f"{API}/runs/log-inputs"): {"json": {"run_id": "{run_id}"}},
    ("POST", f"{API}/runs/outputs"): {"json": {"run_id": "{run_id}"}},
    ("GET", f"{API}/metrics/get-history"): {"params": {"run_id": "{run_id}", "metric_key": "m"}},
    ("GET", f"{API}/logged-models/{{model_id}}"): {},
    ("PATCH", f"{API}/logged-models/{{model_id}}"): {"json": {"status": "LOGGED_MODEL_READY"}},
    ("DELETE", f"{API}/logged-models/{{model_id}}"): {},
    ("PATCH", f"{API}/logged-models/{{model_id}}/tags"): {"json": {"tags": []}},
    ("DELETE", f"{API}/logged-models/{{model_id}}/tags/{{tag_key}}"): {},
    ("POST", f"{API}/logged-models/{{model_id}}/params"): {"json": {"params": []}},
    ("POST", f"{API}/logged-models"): {"json": {"experiment_id": "{experiment_id}"}},
    ("GET", f"{API}/registered-models/get"): {"params": {"name": "{model}"}},
    ("PATCH", f"{API}/registered-models/update"): {"json": {"name": "{model}"}},
    ("DELETE", f"{API}/registered-models/delete"): {"json": {"name": "{model}"}},
    ("POST", f"{API}/registered-models/set-tag"): {
        "json": {"name": "{model}", "key": "k", "value": "v"}
    },
    ("DELETE", f"{API}/registered-models/delete-tag"): {"json": {"name": "{model}", "key": "k"}},
    ("POST", f"{API}/registered-models/get-latest-versions"): {"json": {"name": "{model}"}},
    ("GET", f"{API}/registered-models/get-latest-versions"): {"params": {"name": "{model}"}},
    ("POST", f"{API}/registered-models/alias"): {
        "json": {"name": "{model}", "alias": "mine", "version": "1"}
    },
    ("DELETE", f"{API}/registered-models/alias"): {"json": {"name": "{model}", "alias": "prod"}},
    ("GET", f"{API}/registered-models/alias"): {"params": {"name": "{model}", "alias": "prod"}},
    ("POST", f"{API}/model-versions/create"): {
        "json": {"name": "{model}", "source": "runs:/{run_id}/model"}
    },
    ("GET", f"{API}/model-versions/get"): {"params": {"name": "{model}", "version": "1"}},
    ("PATCH", f"{API}/model-versions/update"): {
        "json": {"name": "{model}", "version": "1", "description": "mine"}
    },
    ("POST", f"{API}/model-versions/set-tag"): {
        "json": {"name": "{model}", "version": "1", "key": "k", "value": "v"}
    },
    ("DELETE", f"{API}/model-versions/delete-tag"): {
        "json": {"name": "{model}", "version": "1", "key": "k"}
    },
    ("GET", f"{API}/model-versions/get-download-uri"): {
        "params": {"name": "{model}", "version": "1"}
    },
    ("GET", f"{ARTIFACTS_API}/artifacts/{{artifact_path}}"): {},
    ("DELETE", f"{ARTIFACTS_API}/artifacts/{{artifact_path}}"): {},
}
# Routes that name nothing: searches and creations, whose isolation is what they return.
UNNAMED = {
    ("POST", f"{API}/experiments/create"),
    ("POST", f"{API}/experiments/search"),
    ("GET", f"{API}/experiments/search"),
    ("POST", f"{API}/runs/search"),
    ("POST", f"{API}/logged-models/search"),
    ("POST", f"{API}/registered-models/create"),
    ("GET", f"{API}/registered-models/search"),
    ("GET", f"{API}/model-versions/search"),
    ("GET", f"{ARTIFACTS_API}/artifacts"),
    ("PUT", f"{ARTIFACTS_API}/artifacts/{{artifact_path}}"),  # written below the caller's tenant
}


def mlflow_routes() -> set[tuple[str, str]]:
    return {
        (method, route.path.replace(":path}", "}"))
        for _, router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        and route.path.startswith(("/api/2.0/mlflow/", "/api/2.0/mlflow-artifacts/"))
        and "{endpoint" not in route.path
        for method in route.methods
    }


def test_every_mlflow_route_is_in_the_isolation_table():
    assert mlflow_routes() - set(ISOLATION) - UNNAMED == set()


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def test_another_tenant_gets_resource_does_not_exist_on_every_mlflow_route(
    make_mlflow_tenant, as_tenant
):
    import mlflow
    import mlflow.sklearn
    import numpy as np
    from mlflow import MlflowClient
    from sklearn.linear_model import LinearRegression

    owner, other = make_mlflow_tenant(), make_mlflow_tenant()
    with as_tenant(owner):
        experiment = mlflow.set_experiment("guarded")
        with mlflow.start_run() as run:
            mlflow.log_metric("m", 1.0)
            mlflow.set_tag("t", "v")
            mlflow.log_text("secret", "secret.txt")
            info = mlflow.sklearn.log_model(
                LinearRegression().fit(np.eye(3), np.arange(3.0)),
                name="model",
                registered_model_name="guarded-model",
            )
        MlflowClient().set_registered_model_alias("guarded-model", "prod", 1)
        MlflowClient().set_logged_model_tags(info.model_id, {"k": "v"})
    ids = {
        "experiment_id": experiment.experiment_id,
        "experiment": "guarded",
        "run_id": run.info.run_id,
        "model_id": info.model_id,
        "tag_key": "k",
        "model": "guarded-model",
        "artifact_path": f"{experiment.experiment_id}/{run.info.run_id}/artifacts/secret.txt",
    }
    unexpected = []
    headers = {"Authorization": f"Bearer {other.key}"}
    with httpx.Client(base_url=other.url, headers=headers) as http:
        for (method, template), spec in sorted(ISOLATION.items()):
            response = http.request(method, template.format(**ids), **_fill(spec, ids))
            code = response.json().get("error_code") if response.content else None
            if response.status_code != 404 or code != "RESOURCE_DOES_NOT_EXIST":
                unexpected.append(f"{method} {template}: {response.status_code} {response.text}")
    assert unexpected == []
    with as_tenant(owner):
        client = MlflowClient()
        assert client.get_run(run.info.run_id).data.tags["t"] == "v"
        assert client.get_model_version_by_alias("guarded-model", "prod").version == "1"
        assert client.get_experiment(experiment.experiment_id).name == "guarded"


def test_an_unsupported_mlflow_endpoint_answers_endpoint_not_found_not_500(make_mlflow_tenant):
    tenant = make_mlflow_tenant()
    headers = {"Authorization": f"Bearer {tenant.key}"}
    with httpx.Client(base_url=tenant.url, headers=headers) as http:
        for method, path in [
            ("POST", "/api/2.0/mlflow/model-versions/transition-stage"),
            ("GET", "/api/2.0/mlflow/traces"),
            ("POST", "/api/2.0/mlflow/registered-models/rename"),
            ("POST", "/api/2.0/mlflow-artifacts/mpu/create/some/file"),
            ("GET", "/api/2.0/mlflow/runs/create"),
        ]:
            response = http.request(method, path, json={})
            assert response.status_code == 404, path
            assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND", path


def test_malformed_mlflow_requests_are_invalid_parameter_value(make_mlflow_tenant):
    tenant = make_mlflow_tenant()
    headers = {"Authorization": f"Bearer {tenant.key}"}
    with httpx.Client(base_url=tenant.url, headers=headers) as http:
        bad_filter = http.post(
            "/api/2.0/mlflow/runs/search",
            json={"experiment_ids": ["0"], "filter": "metrics.x >>> 'a' OR"},
        )
        not_json = http.post(
            "/api/2.0/mlflow/runs/log-batch",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        escaping = http.put("/api/2.0/mlflow-artifacts/artifacts/a/../../b.txt", content=b"x")
    for response in (bad_filter, not_json):
        assert response.status_code == 400, response.text
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert escaping.status_code in (400, 404)


def test_mlflow_requests_are_labelled_by_route_template_in_the_http_metrics(
    make_mlflow_tenant, maestro
):
    tenant = make_mlflow_tenant()
    headers = {"Authorization": f"Bearer {tenant.key}"}
    with httpx.Client(base_url=tenant.url, headers=headers) as http:
        http.get("/api/2.0/mlflow/runs/get", params={"run_id": "nope"})
        http.get("/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/x.txt")
        exposition = http.get("/metrics").text
    assert 'endpoint="/api/2.0/mlflow/runs/get"' in exposition
    assert 'endpoint="/api/2.0/mlflow-artifacts/artifacts/{artifact_path:path}"' in exposition
    assert "/artifacts/1/abc" not in exposition


def test_runs_and_models_logged_through_mlflow_feed_maestros_own_metrics(
    make_mlflow_tenant, as_tenant
):
    import mlflow

    tenant = make_mlflow_tenant()
    with as_tenant(tenant):
        mlflow.set_experiment("counted")
        with mlflow.start_run():
            mlflow.log_metric("m", 1.0)
        mlflow.MlflowClient().create_registered_model("counted-model")
    exposition = httpx.get(f"{tenant.url}/metrics").text
    for status in ("started", "completed"):
        sample = f'maestro_ml_experiments_total{{status="{status}",tenant_id="{tenant.slug}"}} 1.0'
        assert sample in exposition
    operation = 'operation="create",status="success"'
    assert f'maestro_ml_model_operations_total{{{operation},tenant_id="{tenant.slug}"}} 1.0' in (
        exposition
    )
