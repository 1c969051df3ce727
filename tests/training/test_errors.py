"""Bad requests are a clear 422 at submit; what only the data reveals is a failed job with a
readable reason. Never a 500, never a job left running."""

import numpy as np
import polars as pl
import pytest

from maestro.client import MaestroClient, NotFoundError, ValidationError
from tests.support.live_server import LiveServer
from tests.support.metrics import scrape, value
from tests.training.conftest import csv_bytes, upload, wait_for_metric


@pytest.fixture
def dataset_id(owner: MaestroClient, small_csv: bytes) -> str:
    return upload(owner, small_csv, "small")


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"algorithm": "deep_forest"}, "unknown algorithm 'deep_forest'; choose one of"),
        ({"hyperparameters": {"n_trees": 5}}, "unknown hyperparameter(s) n_trees"),
        ({"hyperparameters": {"n_estimators": -3}}, "'n_estimators' parameter"),
        ({"target": "missing"}, "target column 'missing' is not in the dataset"),
        ({"feature_columns": ["age", "nope"]}, "unknown feature column(s): nope"),
        ({"evaluation_slices": ["nope"]}, "unknown evaluation slice column(s): nope"),
        ({"algorithm": "linear_regression", "task": "classification"}, "does not support"),
        ({"register_as": "Not A Name"}, "register_as must be a model name"),
    ],
)
def test_requests_that_cannot_work_are_refused_at_submit(
    owner: MaestroClient, dataset_id: str, request_fields: dict, message: str
):
    fields = {"target": "churned", "algorithm": "random_forest", **request_fields}
    with pytest.raises(ValidationError) as refused:
        owner.train(dataset_id, **fields)
    assert refused.value.status_code == 422
    assert message in refused.value.message
    assert owner.list_training_jobs() == []


def test_a_one_row_dataset_and_an_unknown_dataset_are_refused(owner: MaestroClient):
    one_row = upload(owner, b"x,y\n1,0\n", "one-row")
    with pytest.raises(ValidationError, match="at least 10 rows"):
        owner.train(one_row, "y", "logistic_regression")
    with pytest.raises(NotFoundError):
        owner.train("no-such-dataset", "y", "logistic_regression")
    with pytest.raises(ValidationError, match="target column 'z' is not in the dataset"):
        owner.discover_features(one_row, target="z")


def _frame(**columns: object) -> bytes:
    return csv_bytes(pl.DataFrame(columns))


def test_what_only_the_data_reveals_fails_the_job_with_a_readable_reason(
    server: LiveServer, make_tenant
):
    tenant = make_tenant(quotas={"concurrent_training_jobs": 5})
    owner = tenant.client()
    duration = "maestro_ml_training_duration_seconds_count"
    failed = {"algorithm": "logistic_regression", "status": "failed"}  # every tenant's
    before = value(scrape(server.url), duration, **failed)
    rng = np.random.default_rng(0)
    n = 200
    cases = {
        "single-class": (
            _frame(x=rng.normal(size=n), y=["yes"] * n),
            "y",
            "has a single class ('yes')",
        ),
        "null-target": (
            _frame(x=rng.normal(size=n), y=pl.Series([None] * n, dtype=pl.Int64)),
            "y",
            "has no non-null value",
        ),
        "too-many-classes": (
            _frame(x=rng.normal(size=10_000), y=[f"c{i}" for i in range(10_000)]),
            "y",
            "has 10000 distinct values; classification supports at most 500 classes",
        ),
    }
    jobs = {}
    for name, (data, target, _) in cases.items():
        jobs[name] = owner.train(upload(owner, data, name), target, "logistic_regression")["id"]
    for name, (_, _, reason) in cases.items():
        job = owner.wait_for_training_job(jobs[name], timeout=60)
        assert job["status"] == "failed", name
        assert reason in job["error"], (name, job["error"])
        assert job["model_version"] is None
    wait_for_metric(server.url, duration, before + len(cases), **failed)


def test_an_all_null_feature_is_dropped_and_a_10000_category_feature_is_capped(
    owner: MaestroClient,
):
    rng = np.random.default_rng(1)
    n = 10_000
    x = rng.normal(size=n)
    data = _frame(
        x=x,
        empty=pl.Series([None] * n, dtype=pl.Float64),
        city=[f"city-{i}" for i in rng.permutation(n)],
        y=(x + rng.normal(scale=0.3, size=n)) > 0,
    )
    dataset_id = upload(owner, data, "wide")
    discovery = owner.discover_features(dataset_id, target="y")
    job = owner.train(dataset_id, "y", "logistic_regression", register_as="wide")
    done = owner.wait_for_training_job(job["id"], timeout=90)
    assert done["status"] == "succeeded", done["error"]
    assert done["dropped_features"] == {"empty": "all values are null"}
    assert done["metrics"]["accuracy"] > 0.8
    report = owner.wait_for_feature_discovery(discovery["id"], timeout=90)
    assert report["status"] == "succeeded", report["error"]
    alerts = {(a["type"], tuple(a["columns"])) for a in report["report"]["alerts"]}
    assert any(cols == ("city",) for _, cols in alerts)
    card = owner.get_card("wide", 1)
    assert "Column 'empty' was not used for training: all values are null." in card


def test_an_unknown_card_format_is_a_422_counted_as_a_failed_generation(
    server: LiveServer, tenant, owner: MaestroClient
):
    before = value(
        scrape(server.url),
        "maestro_model_card_generations_total",
        tenant_id=tenant.slug,
        format="invalid",
        status="failure",
    )
    with pytest.raises(ValidationError, match="unknown card format 'pdf'"):
        owner.get_card("anything", 1, "pdf")
    with pytest.raises(NotFoundError):
        owner.get_card("no-such-model", 1, "html")
    after = scrape(server.url)
    assert (
        value(
            after,
            "maestro_model_card_generations_total",
            tenant_id=tenant.slug,
            format="invalid",
            status="failure",
        )
        == before + 1
    )
    assert (
        value(
            after,
            "maestro_model_card_generations_total",
            tenant_id=tenant.slug,
            format="html",
            status="failure",
        )
        == 1
    )
