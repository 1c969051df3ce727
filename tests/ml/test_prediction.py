"""Prediction from JSON rows: a loaded skops model answers exactly like the in-memory one."""

import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LinearRegression

from maestro.ml.prediction import predict
from maestro.ml.serialization import dump_model, load_model
from maestro.ml.training import train


@pytest.fixture(scope="module")
def trained(clean_dataset: pl.DataFrame):
    return train(
        clean_dataset.head(2_000),
        "churned",
        "gradient_boosting",
        seed=2,
        hyperparameters={"max_iter": 50},
    )


def test_loaded_model_predicts_exactly_like_the_in_memory_model(trained, clean_dataset):
    rows = clean_dataset.tail(50).drop("churned").to_dicts()
    loaded = load_model(trained.artifact)

    expected = predict(trained.model, rows, trained.input_schema)
    actual = predict(loaded, rows, trained.input_schema)

    assert actual == expected
    predictions, probabilities = actual
    assert len(predictions) == 50 and set(predictions) <= {True, False}
    assert np.allclose([sum(p) for p in probabilities], 1.0)


def test_json_rows_with_strings_for_dates_and_missing_keys_are_accepted(trained):
    rows = [
        {"age": 40, "income": 25000, "plan": "premium", "signup": "2023-05-01T10:00:00"},
        {"age": "not a number", "plan": "never-seen-plan"},
        {},
    ]

    predictions, probabilities = predict(load_model(trained.artifact), rows, trained.input_schema)

    assert len(predictions) == 3
    assert all(len(p) == 2 for p in probabilities)


def test_uploaded_pipeline_without_schema_uses_its_feature_order():
    x = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]})
    model = load_model(dump_model(LinearRegression().fit(x, [1.0, 2.0, 3.0, 4.0])))

    predictions, probabilities = predict(model, [{"b": 1.0, "a": 2.0}])

    assert predictions == pytest.approx([2.0])
    assert probabilities is None


def test_empty_request_gives_empty_answer(trained):
    assert predict(trained.model, [], trained.input_schema) == ([], None)
