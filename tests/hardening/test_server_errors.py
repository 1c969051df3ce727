"""Inputs that once answered 500 (found by schemathesis); each now a 4xx, on both databases."""

import io
import json

import pytest

from tests.hardening.conftest import assert_error, cursor_of

LIST_PATHS = ["/api/v1/models", "/api/v1/experiments", "/api/v1/datasets", "/api/v1/training-jobs"]


@pytest.mark.parametrize("path", LIST_PATHS)
@pytest.mark.parametrize(
    "cursor",
    [
        ["0001-01-01T00:00:00+01:00", "x"],  # leaves year 1 once converted to UTC
        ["9999-12-31T23:59:59-01:00", "x"],  # leaves year 9999
        ["x", "x"],
        [[["nested"]], "x"],
        ["2026-01-01T00:00:00", "a\u0000b"],  # NUL in the id: PostgreSQL refuses it
        {"created": "2026-01-01T00:00:00"},
        "[" * 400 + "]" * 400,
    ],
    ids=["before-year-1", "after-year-9999", "not-a-date", "nested", "nul-id", "object", "deep"],
)
def test_a_malformed_list_cursor_is_a_validation_error(owner_http, path, cursor):
    encoded = cursor_of(cursor) if not isinstance(cursor, str) else cursor_of(json.loads(cursor))
    assert_error(owner_http.get(path, params={"cursor": encoded}), 422, "validation_error")


def test_a_cursor_with_a_naive_timestamp_is_read_as_utc(owner_http):
    response = owner_http.get(
        "/api/v1/models", params={"cursor": cursor_of(["2000-01-01T00:00:00", "0"])}
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def experiment_id(owner_http) -> str:
    response = owner_http.post("/api/v1/experiments", json={"name": "edge"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize(
    "cursor",
    [[2**70, "2026-01-01T00:00:00+00:00", 1], [0, "2026-01-01T00:00:00+00:00", -1], [0, "x", 1]],
    ids=["huge-step", "negative-id", "bad-timestamp"],
)
def test_a_malformed_metric_cursor_is_a_validation_error(owner_http, experiment_id, cursor):
    response = owner_http.get(
        f"/api/v1/experiments/{experiment_id}/metrics", params={"cursor": cursor_of(cursor)}
    )
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    "timestamp", ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01", 0, 1e20]
)
def test_a_metric_timestamp_outside_the_representable_range_is_a_validation_error(
    owner_http, experiment_id, timestamp
):
    point = {"name": "loss", "value": 1.0, "step": 1, "timestamp": timestamp}
    response = owner_http.post(
        f"/api/v1/experiments/{experiment_id}/metrics", json={"metrics": [point]}
    )
    assert_error(response, 422, "validation_error")


def test_metrics_at_the_edges_of_time_and_the_largest_step_round_trip(owner_http, experiment_id):
    points = [
        {"name": "loss", "value": 1.0, "step": 2**53, "timestamp": "0001-01-01T00:00:00Z"},
        {"name": "loss", "value": 2.0, "step": 0, "timestamp": "9999-12-31T23:59:59Z"},
    ]
    logged = owner_http.post(
        f"/api/v1/experiments/{experiment_id}/metrics", json={"metrics": points}
    )
    assert logged.status_code == 201, logged.text
    history = owner_http.get(f"/api/v1/experiments/{experiment_id}/metrics", params={"limit": 1})
    assert history.status_code == 200, history.text
    rest = owner_http.get(
        f"/api/v1/experiments/{experiment_id}/metrics",
        params={"cursor": history.json()["next_cursor"]},
    )
    assert [p["step"] for p in history.json()["items"] + rest.json()["items"]] == [0, 2**53]


@pytest.mark.parametrize("body", [{"name": None}, {"quotas": None}], ids=["name", "quotas"])
def test_patching_a_tenant_with_a_null_required_field_is_a_validation_error(
    admin_http, tenant, body
):
    assert_error(
        admin_http.patch(f"/api/v1/tenants/{tenant.slug}", json=body), 422, "validation_error"
    )
    assert admin_http.get(f"/api/v1/tenants/{tenant.slug}").json()["name"] == tenant.slug.title()


def test_patching_a_tenant_rate_limit_with_null_restores_the_defaults(admin_http, tenant):
    path = f"/api/v1/tenants/{tenant.slug}"
    admin_http.patch(path, json={"rate_limit": {"requests_per_minute": 7, "burst": 3}})
    response = admin_http.patch(path, json={"rate_limit": None})
    assert response.status_code == 200, response.text
    assert response.json()["rate_limit"]["burst"] != 3


def test_an_api_key_name_longer_than_its_column_is_a_validation_error(owner_http, tenant):
    response = owner_http.post(
        f"/api/v1/users/{tenant.owner_id}/api-keys", json={"name": "k" * 101}
    )
    assert_error(response, 422, "validation_error")
    ok = owner_http.post(f"/api/v1/users/{tenant.owner_id}/api-keys", json={"name": "k" * 100})
    assert ok.status_code == 201, ok.text


@pytest.fixture
def model(owner_http) -> str:
    assert owner_http.post("/api/v1/models", json={"name": "churn"}).status_code == 201
    return "churn"


def upload(http, model, metadata: str):
    return http.post(
        f"/api/v1/models/{model}/versions",
        files={"file": ("m.bin", io.BytesIO(b"bytes"), "application/octet-stream")},
        data={"format": "other", "metadata": metadata},
    )


def test_version_metadata_nested_20000_deep_is_a_validation_error(owner_http, model):
    deep = '{"a": ' + "[" * 20_000 + "]" * 20_000 + "}"
    assert_error(upload(owner_http, model, deep), 422, "validation_error")
    assert owner_http.get(f"/api/v1/models/{model}").json()["latest_version"] is None


@pytest.mark.parametrize(
    "metadata",
    [{"features": 5}, {"hyperparameters": "x"}, {"task": 123}, {"target": [1]}, {"algorithm": {}}],
    ids=["features", "hyperparameters", "task", "target", "algorithm"],
)
@pytest.mark.parametrize("card_format", ["markdown", "html", "json"])
def test_a_model_card_renders_from_odd_user_metadata(owner_http, model, metadata, card_format):
    assert upload(owner_http, model, json.dumps(metadata)).status_code == 201
    response = owner_http.get(
        f"/api/v1/models/{model}/versions/1/card", params={"format": card_format}
    )
    assert response.status_code == 200, response.text


def test_an_auto_task_hyperparameter_error_names_the_estimator_of_each_possible_task(owner_http):
    csv = b"x,y\n" + b"".join(b"%d,%d\n" % (i, i % 3) for i in range(60))
    dataset = owner_http.post(
        "/api/v1/datasets",
        files={"file": ("d.csv", io.BytesIO(csv), "text/csv")},
        data={"name": "ints"},
    ).json()
    response = owner_http.post(
        "/api/v1/training-jobs",
        json={
            "dataset_id": dataset["id"],
            "target": "y",
            "algorithm": "random_forest",
            "hyperparameters": {"max_depth": -3},
        },
    )
    message = assert_error(response, 422, "validation_error")["message"]
    assert "RandomForestClassifier" in message and "RandomForestRegressor" in message
