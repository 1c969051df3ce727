"""Tenant isolation: tenant B's key on every route of the OpenAPI document gets 404 for A's data.

The route table below must cover every path-parameterised route the app serves; a new route
without an entry fails `test_every_route_is_covered`, so isolation is checked by construction.
"""

import io
import json
from typing import Any

import httpx
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from maestro.ml.serialization import dump_model

CSV = b"x1,x2,y\n" + b"".join(f"{i},{i % 7},{i % 2}\n".encode() for i in range(40))

# (method, path template) -> how to call it: a JSON body, or multipart form fields and files.
ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/tenants/{tenant}"): {},
    ("PATCH", "/api/v1/tenants/{tenant}"): {"json": {"name": "Taken"}},
    ("DELETE", "/api/v1/tenants/{tenant}"): {},
    ("GET", "/api/v1/tenants/{tenant}/usage"): {},
    ("GET", "/api/v1/tenants/{tenant}/users"): {},
    ("POST", "/api/v1/tenants/{tenant}/users"): {"json": {"username": "spy", "role": "owner"}},
    ("POST", "/api/v1/users/{user_id}/api-keys"): {"json": {"name": "stolen"}},
    ("PATCH", "/api/v1/users/{user_id}"): {"json": {"disabled": True}},
    ("DELETE", "/api/v1/users/{user_id}"): {},
    ("DELETE", "/api/v1/api-keys/{key_id}"): {},
    ("GET", "/api/v1/models/{name}"): {},
    ("PATCH", "/api/v1/models/{name}"): {"json": {"description": "mine now"}},
    ("DELETE", "/api/v1/models/{name}"): {},
    ("GET", "/api/v1/models/{name}/versions"): {},
    ("POST", "/api/v1/models/{name}/versions"): {
        "data": {"format": "other"},
        "files": {"file": ("a.bin", b"payload", "application/octet-stream")},
    },
    ("GET", "/api/v1/models/{name}/versions/{version}"): {},
    ("GET", "/api/v1/models/{name}/versions/{version}/artifact"): {},
    ("PUT", "/api/v1/models/{name}/aliases/{alias}"): {"json": {"version": 1}},
    ("DELETE", "/api/v1/models/{name}/aliases/{alias}"): {},
    ("POST", "/api/v1/models/{name}/versions/{version}/deploy"): {},
    ("POST", "/api/v1/models/{name}/undeploy"): {},
    ("POST", "/api/v1/models/{name}/predict"): {"json": {"instances": [{"x1": 1.0, "x2": 2.0}]}},
    ("GET", "/api/v1/experiments/{experiment_id}"): {},
    ("PATCH", "/api/v1/experiments/{experiment_id}"): {"json": {"status": "completed"}},
    ("DELETE", "/api/v1/experiments/{experiment_id}"): {},
    ("GET", "/api/v1/experiments/{experiment_id}/metrics"): {},
    ("POST", "/api/v1/experiments/{experiment_id}/metrics"): {
        "json": {"metrics": [{"name": "loss", "value": 0.1, "step": 1}]}
    },
    ("GET", "/api/v1/datasets/{dataset_id}"): {},
    ("DELETE", "/api/v1/datasets/{dataset_id}"): {},
    ("POST", "/api/v1/datasets/{dataset_id}/feature-discovery"): {"json": {"target": "y"}},
    ("GET", "/api/v1/feature-discovery/{job_id}"): {"ids": {"job_id": "discovery_id"}},
    ("GET", "/api/v1/training-jobs/{job_id}"): {"ids": {"job_id": "training_id"}},
    ("POST", "/api/v1/training-jobs/{job_id}/cancel"): {"ids": {"job_id": "training_id"}},
    ("GET", "/api/v1/models/{name}/versions/{version}/card"): {"params": {"format": "json"}},
    ("PUT", "/api/v1/models/{name}/versions/{version}/card"): {"json": {"caveats": "none"}},
    # Model health
    ("GET", "/api/v1/models/{name}/monitoring"): {},
    ("PUT", "/api/v1/models/{name}/monitoring"): {"json": {"log_sample_rate": 0.0}},
    ("GET", "/api/v1/models/{name}/versions/{version}/reference"): {},
    ("PUT", "/api/v1/models/{name}/versions/{version}/reference"): {
        "json": {"dataset_id": "00000000-0000-0000-0000-000000000000"}
    },
    ("POST", "/api/v1/models/{name}/feedback"): {
        "json": {"feedback": [{"prediction_id": "x-0", "label": 1}]}
    },
    ("GET", "/api/v1/models/{name}/performance"): {},
    ("GET", "/api/v1/models/{name}/drift"): {},
    ("POST", "/api/v1/models/{name}/drift/run"): {},
}


@pytest.fixture(params=["local", "s3"])
def artifact_backend(request: pytest.FixtureRequest) -> str:
    """Isolation must hold whichever store holds the artifacts."""
    return request.param


def openapi_routes(url: str) -> set[tuple[str, str]]:
    document = httpx.get(f"{url}/openapi.json").json()
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if "{" in path
    }


@pytest.fixture
def tenant_a_resources(make_tenant) -> tuple[Any, dict[str, str]]:
    """Tenant A with one of everything the API serves."""
    a = make_tenant("alpha")
    with a.client() as owner:
        features = np.arange(80, dtype=float).reshape(40, 2)
        model = LogisticRegression().fit(features, np.arange(40) % 2)
        owner.create_model("secret-model")
        owner.upload_version("secret-model", dump_model(model), format="skops")
        owner.set_alias("secret-model", "production", 1)
        owner.deploy("secret-model", 1)
        experiment = owner.create_experiment("secret-run")
        dataset = owner.upload_dataset(io.BytesIO(CSV), "secret-data", filename="data.csv")
        key = owner.create_api_key(a.owner_id, "a-key")
        training = owner.request(
            "POST",
            "/training-jobs",
            json={"dataset_id": dataset["id"], "target": "y", "algorithm": "logistic_regression"},
        ).json()
        discovery = owner.request(
            "POST", f"/datasets/{dataset['id']}/feature-discovery", json={"target": "y"}
        ).json()
    values = {
        "tenant": a.slug,
        "user_id": a.owner_id,
        "key_id": key["id"],
        "name": "secret-model",
        "version": "1",
        "alias": "production",
        "experiment_id": experiment["id"],
        "dataset_id": dataset["id"],
        "training_id": training["id"],
        "discovery_id": discovery["id"],
    }
    return a, values


def test_every_route_is_covered(server):
    missing = openapi_routes(server.url) - set(ROUTES)
    assert not missing, f"add these routes to the isolation table: {sorted(missing)}"


def test_tenant_b_gets_not_found_on_every_route_of_tenant_a(
    server, make_tenant, tenant_a_resources
):
    a, values = tenant_a_resources
    b = make_tenant("beta")
    unexpected = []
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {b.owner_key}"}
    ) as as_b:
        for (method, template), spec in sorted(ROUTES.items()):
            call = dict(spec)
            ids = {param: values[key] for param, key in call.pop("ids", {}).items()}
            path = template.format(**{**values, **ids})
            response = as_b.request(method, path, **call)
            if response.status_code != 404 or response.json()["error"]["code"] != "not_found":
                unexpected.append(f"{method} {template}: {response.status_code} {response.text}")
        on_a_dataset = as_b.post(
            "/api/v1/training-jobs",
            json={"dataset_id": values["dataset_id"], "target": "y", "algorithm": "ridge"},
        )
        if on_a_dataset.status_code != 404:
            unexpected.append(f"POST /training-jobs on A's dataset: {on_a_dataset.status_code}")
    assert unexpected == []

    with a.client() as owner:  # and nothing of A's was changed by the attempts
        assert owner.get_model("secret-model")["name"] == "secret-model"
        assert owner.get_experiment(values["experiment_id"])["status"] == "running"
        assert owner.get_dataset(values["dataset_id"])["name"] == "secret-data"
        assert owner.usage(a.slug)["resources"]["users"]["used"] == 1


def test_lists_never_show_another_tenants_items(server, make_tenant, tenant_a_resources):
    _, values = tenant_a_resources
    b = make_tenant("beta")
    with b.client() as as_b:
        listed = json.dumps([as_b.list_models(), as_b.list_experiments(), as_b.list_datasets()])
    for key in ("name", "experiment_id", "dataset_id"):
        assert values[key] not in listed
