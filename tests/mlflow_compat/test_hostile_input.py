"""Hostile input on the MLflow routes is INVALID_PARAMETER_VALUE, never a server error, on both
databases; and artifact overwrites are charged only for the bytes they add."""

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import TenantHandle

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def mlflow_http(make_tenant: Callable[..., TenantHandle]) -> Iterator[httpx.Client]:
    tenant = make_tenant()
    headers = {"Authorization": f"Bearer {tenant.owner_key}"}
    with httpx.Client(base_url=tenant.url, headers=headers, timeout=30) as client:
        yield client


def _run(client: httpx.Client) -> tuple[str, str]:
    experiment = client.post(f"{API}/experiments/create", json={"name": "hostile"})
    experiment_id = experiment.json()["experiment_id"]
    run = client.post(f"{API}/runs/create", json={"experiment_id": experiment_id})
    return experiment_id, run.json()["run"]["info"]["run_id"]


def _post_raw(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    """The body exactly as given (json.dumps keeps NaN and integers of any size)."""
    headers = {"Content-Type": "application/json"}
    return client.post(path, content=json.dumps(body), headers=headers)


def _invalid(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/experiments/create", {"name": "a\x00b"}),
        ("/experiments/create", {"name": "tagged", "tags": [{"key": "k\x00", "value": "v"}]}),
        ("/registered-models/create", {"name": "m\x00"}),
    ],
)
def test_a_nul_character_in_an_mlflow_body_is_invalid_not_a_server_error(
    mlflow_http: httpx.Client, path: str, body: dict[str, Any]
):
    _invalid(mlflow_http.post(API + path, json=body))


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/runs/update", {"run_name": "\x00"}),
        ("/runs/set-tag", {"key": "t", "value": "v\x00"}),
        ("/runs/log-parameter", {"key": "p", "value": "v\x00"}),
        ("/runs/log-metric", {"key": "m\x00", "value": 1}),
        ("/runs/log-metric", {"key": "m", "value": 1, "step": 10**30}),
        ("/runs/log-metric", {"key": "m", "value": 1, "step": 2**63}),
        ("/runs/log-metric", {"key": "m", "value": 1, "step": -(2**63) - 1}),
        ("/runs/log-batch", {"metrics": [{"key": "m", "value": 1, "step": 2**64}]}),
        ("/runs/log-batch", {"params": [{"key": "p", "value": float("nan")}]}),
    ],
)
def test_a_run_write_with_a_nul_an_out_of_range_step_or_nan_is_invalid(
    mlflow_http: httpx.Client, path: str, fields: dict[str, Any]
):
    _, run_id = _run(mlflow_http)
    _invalid(_post_raw(mlflow_http, API + path, {"run_id": run_id, **fields}))
    run = mlflow_http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    assert not run["data"].get("metrics") and not run["data"].get("params")


def test_the_largest_step_a_64_bit_column_holds_is_logged(mlflow_http: httpx.Client):
    _, run_id = _run(mlflow_http)
    body = {"run_id": run_id, "key": "m", "value": 1.0, "step": 2**63 - 1}
    assert _post_raw(mlflow_http, f"{API}/runs/log-metric", body).status_code == 200
    history = mlflow_http.get(
        f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m"}
    )
    assert [p["step"] for p in history.json()["metrics"]] == [2**63 - 1]


@pytest.mark.parametrize("offset", ["1e400", "-1", '"x"', "null"])
def test_a_forged_page_token_is_invalid(mlflow_http: httpx.Client, offset: str):
    experiment_id, _ = _run(mlflow_http)
    token = base64.urlsafe_b64encode(f'{{"offset": {offset}}}'.encode()).decode()
    body = {"experiment_ids": [experiment_id], "page_token": token}
    _invalid(mlflow_http.post(f"{API}/runs/search", json=body))
    _invalid(mlflow_http.post(f"{API}/experiments/search", json={"page_token": token}))


@pytest.mark.parametrize("max_results", [0, -1, 10**30])
def test_experiment_search_refuses_a_page_size_that_never_ends_or_never_starts(
    mlflow_http: httpx.Client, max_results: int
):
    _run(mlflow_http)
    _invalid(_post_raw(mlflow_http, f"{API}/experiments/search", {"max_results": max_results}))


@pytest.mark.parametrize("max_results", [0, -1])
def test_logged_model_search_refuses_a_page_size_below_one(
    mlflow_http: httpx.Client, max_results: int
):
    body = {"max_results": max_results}
    _invalid(_post_raw(mlflow_http, f"{API}/logged-models/search", body))


def test_overwriting_an_artifact_near_the_storage_quota_is_charged_only_the_difference(
    make_tenant: Callable[..., TenantHandle],
):
    tenant = make_tenant(quotas={"storage_bytes": 1000})
    headers = {"Authorization": f"Bearer {tenant.owner_key}"}
    with httpx.Client(base_url=tenant.url, headers=headers, timeout=30) as client:
        path = f"{ARTIFACTS}/0/run/artifacts/model.onnx"
        assert client.put(path, content=b"a" * 600).status_code == 200
        assert client.put(path, content=b"b" * 600).status_code == 200
        assert client.get(path).content == b"b" * 600
        refused = client.put(path, content=b"c" * 1001)
        assert refused.status_code == 403
        assert refused.json()["error_code"] == "RESOURCE_EXHAUSTED"
        assert client.get(path).content == b"b" * 600
    with tenant.client() as owner:
        assert owner.usage(tenant.slug)["resources"]["storage_bytes"]["used"] == 600
