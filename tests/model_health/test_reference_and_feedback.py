"""Reference data (training dataset by default, any dataset on request) and feedback scoring."""

import io

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from maestro.client import MaestroClient, NotFoundError, ValidationError
from maestro.ml.serialization import dump_model
from tests.model_health.conftest import generated, instances


def test_a_version_trained_by_a_job_has_its_training_dataset_as_reference(
    server, owner: MaestroClient, trained_model
):
    assert owner.reference("scorer", "latest") == {
        "model": "scorer",
        "version": trained_model["version"],
        "dataset_id": trained_model["dataset_id"],
        "source": "training",
    }


def test_any_version_can_be_given_a_reference_dataset(server, owner: MaestroClient):
    model = LinearRegression().fit(np.arange(20.0).reshape(10, 2), np.arange(10.0))
    owner.create_model("uploaded")
    owner.upload_version("uploaded", dump_model(model), format="skops")
    assert owner.reference("uploaded", 1)["source"] == "none"
    data = generated(50, seed=1).write_csv().encode()
    dataset = owner.upload_dataset(io.BytesIO(data), "ref", filename="ref.csv")
    assert owner.set_reference("uploaded", 1, dataset["id"])["source"] == "explicit"
    assert owner.reference("uploaded", "latest")["dataset_id"] == dataset["id"]


def test_another_tenants_dataset_cannot_be_a_reference(server, make_tenant, owner: MaestroClient):
    other = make_tenant()
    with other.client() as theirs:
        data = generated(50, seed=1).write_csv().encode()
        foreign = theirs.upload_dataset(io.BytesIO(data), "theirs", filename="t.csv")
    model = LinearRegression().fit(np.arange(20.0).reshape(10, 2), np.arange(10.0))
    owner.create_model("mine")
    owner.upload_version("mine", dump_model(model), format="skops")
    with pytest.raises(NotFoundError):
        owner.set_reference("mine", 1, foreign["id"])


def test_feedback_reports_unknown_ids_and_live_accuracy_sits_beside_training(
    server, owner: MaestroClient, trained_model
):
    data = generated(200, seed=5)
    response = owner.predict("scorer", instances(data))
    labels = dict(zip(response["prediction_ids"], data["y"].to_list(), strict=True))
    result = owner.feedback("scorer", {**labels, "not-a-prediction": 1})
    assert result == {"accepted": 200, "unknown_prediction_ids": ["not-a-prediction"]}
    expected = np.mean(np.array(response["predictions"]) == data["y"].to_numpy())
    performance = owner.performance("scorer")
    assert performance["task"] == "classification"
    day = next(w for w in performance["windows"] if w["window"] == "24h")
    assert day["labelled"] == 200
    assert day["accuracy"] == pytest.approx(expected)
    assert 0 < performance["training"]["accuracy"] <= 1


def test_regression_feedback_gives_the_live_mean_absolute_error(server, owner: MaestroClient):
    x = np.arange(40.0).reshape(20, 2)
    model = LinearRegression().fit(x, x.sum(axis=1))
    owner.create_model("sums")
    owner.upload_version("sums", dump_model(model), format="skops")
    owner.deploy("sums", 1)
    response = owner.predict("sums", [[1.0, 2.0], [3.0, 4.0]])  # fitted without names: lists
    ids = response["prediction_ids"]
    owner.feedback("sums", {ids[0]: 4.0, ids[1]: 5.0})  # truths 3 and 7 were predicted
    hour = owner.performance("sums")["windows"][0]
    assert hour["mae"] == pytest.approx(1.5)
    assert hour["accuracy"] is None


def test_feedback_on_a_model_that_is_not_the_predictions_is_unknown(
    server, owner: MaestroClient, trained_model
):
    response = owner.predict("scorer", instances(generated(2, seed=5)))
    owner.create_model("other")
    result = owner.feedback("other", {pid: 1 for pid in response["prediction_ids"]})
    assert result["accepted"] == 0


def test_empty_feedback_is_a_validation_error(server, owner: MaestroClient, trained_model):
    with pytest.raises(ValidationError):
        owner.feedback("scorer", {})
