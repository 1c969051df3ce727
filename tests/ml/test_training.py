"""Training: every algorithm on both tasks, metrics, slices, progress, cancellation, errors."""

import polars as pl
import pytest

from maestro.ml.catalog import CATALOG
from maestro.ml.errors import (
    InvalidHyperparameterError,
    MissingTargetError,
    NoUsableFeaturesError,
    SingleClassTargetError,
    TargetAllNullError,
    TooFewRowsError,
    TrainingCancelled,
    TrainingError,
    UnknownAlgorithmError,
    UnknownFeatureError,
)
from maestro.ml.tasks import infer_task
from maestro.ml.training import train

CASES = [(name, task) for name, spec in CATALOG.items() for task in spec.tasks]
#: Smaller ensembles keep the suite fast; the defaults are exercised elsewhere.
FAST = {"random_forest": {"n_estimators": 30}, "gradient_boosting": {"max_iter": 40}}


@pytest.fixture(scope="module")
def small(clean_dataset: pl.DataFrame) -> pl.DataFrame:
    return clean_dataset.head(1_500)


@pytest.mark.parametrize(("algorithm", "task"), CASES)
def test_every_algorithm_trains_on_its_tasks(small, algorithm, task):
    target = "churned" if task == "classification" else "spend"

    result = train(small, target, algorithm, task=task, seed=1, hyperparameters=FAST.get(algorithm))

    assert result.task == task
    assert result.artifact[:2] == b"PK"
    assert result.rows == small.height
    assert result.train_rows + result.test_rows == small.height
    assert "spend" not in result.features or target != "spend"
    if task == "classification":
        assert result.classes == [False, True]
        assert result.metrics["accuracy"] > 0.65
        assert {"f1_macro", "roc_auc"} <= set(result.metrics)
        assert sum(map(sum, result.confusion_matrix)) == result.test_rows
    else:
        assert result.metrics["r2"] > 0.7
        assert {"rmse", "mae"} <= set(result.metrics)


def test_classification_result_has_all_metadata(small):
    result = train(small, "churned", "logistic_regression", evaluation_slices=["plan", "age"])

    assert set(result.metrics) == {"accuracy", "f1_macro", "roc_auc", "log_loss"}
    assert result.input_schema["signup"].startswith("Datetime")
    assert result.input_schema["plan"] == "String"
    assert result.hyperparameters["max_iter"] == 1000
    assert result.duration_seconds > 0
    plan_slices = {s["value"] for s in result.slice_metrics if s["feature"] == "plan"}
    assert {"basic", "plus", "premium"} <= plan_slices
    age_slices = [s for s in result.slice_metrics if s["feature"] == "age"]
    assert len(age_slices) == 4  # many-valued numbers are sliced by quartile
    assert sum(s["rows"] for s in age_slices) == result.test_rows
    metadata = result.to_dict()
    assert "artifact" not in metadata and "model" not in metadata


def test_multiclass_target_and_feature_subset(small):
    result = train(
        small.filter(pl.col("plan").is_not_null()),
        "plan",
        "random_forest",
        features=["income", "age", "churned"],
        hyperparameters={"n_estimators": 20},
    )

    assert result.classes == ["basic", "plus", "premium"]
    assert result.features == ["income", "age", "churned"]
    assert "roc_auc" not in result.metrics
    assert len(result.confusion_matrix) == 3


def test_auto_task_follows_the_target_type():
    assert infer_task(pl.Series([0.5, 1.5])) == "regression"
    assert infer_task(pl.Series(["a", "b"])) == "classification"
    assert infer_task(pl.Series([1, 2, 3, 1])) == "classification"
    assert infer_task(pl.Series(range(100))) == "regression"


def test_progress_is_reported_in_order_up_to_100(small):
    seen: list[tuple[str, float]] = []

    train(small, "churned", "ridge", on_progress=lambda stage, pct: seen.append((stage, pct)))

    stages = [s for s, _ in seen]
    assert stages == ["validate", "prepare", "split", "fit", "evaluate", "serialize", "done"]
    assert [p for _, p in seen] == sorted(p for _, p in seen)
    assert seen[-1] == ("done", 100.0)


def test_cancellation_check_stops_training(small):
    calls = iter([False, False, True])

    with pytest.raises(TrainingCancelled, match="cancelled before stage 'split'"):
        train(small, "churned", "ridge", cancel_check=lambda: next(calls))


def test_all_null_feature_is_dropped_and_reported(small):
    frame = small.with_columns(pl.lit(None, dtype=pl.Float64).alias("empty"))

    result = train(frame, "churned", "logistic_regression")

    assert "empty" not in result.features
    assert result.dropped_features == {"empty": "all values are null"}


def test_unsupported_and_unusual_types_are_dropped_or_encoded(small):
    frame = small.with_columns(
        pl.lit([1, 2]).alias("tags"),
        pl.col("plan").cast(pl.Categorical).alias("plan_category"),
        pl.duration(seconds=pl.col("age")).alias("tenure"),
    )

    result = train(frame, "churned", "logistic_regression")

    assert result.dropped_features == {"tags": "unsupported type List(Int64)"}
    assert {"plan_category", "tenure"} <= set(result.features)


def test_ten_thousand_category_column_is_capped(small):
    frame = (
        pl.concat([small] * 7)
        .with_row_index("i")
        .with_columns((pl.col("i") % 10_000).cast(pl.String).alias("zip_code"))
    )

    result = train(frame.drop("i"), "churned", "logistic_regression")

    encoder = result.model.named_steps["preprocess"].named_transformers_["categorical"]
    assert len(encoder.named_steps["onehot"].get_feature_names_out()) < 200


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"algorithm": "deep_net"}, UnknownAlgorithmError, "unknown algorithm 'deep_net'"),
        (
            {"hyperparameters": {"n_estimators": 0}},
            InvalidHyperparameterError,
            "n_estimators",
        ),
        ({"hyperparameters": {"trees": 3}}, InvalidHyperparameterError, "unknown hyperparameter"),
        ({"target": "nope"}, MissingTargetError, "target column 'nope' is not in the dataset"),
        ({"features": ["age", "ghost"]}, UnknownFeatureError, "ghost"),
        ({"evaluation_slices": ["ghost"]}, UnknownFeatureError, "slice column"),
        ({"test_size": 1.5}, TrainingError, "test_size"),
        ({"task": "clustering"}, TrainingError, "task must be"),
        ({"task": "regression", "target": "plan"}, TrainingError, "numeric target"),
    ],
)
def test_invalid_requests_raise_readable_training_errors(small, kwargs, error, message):
    args = {"target": "churned", "algorithm": "random_forest"} | kwargs

    with pytest.raises(error, match=message):
        train(small, **args)


def test_single_class_target_is_refused(small):
    with pytest.raises(SingleClassTargetError, match="single class"):
        train(small.filter(pl.col("churned")), "churned", "logistic_regression")


def test_one_row_dataset_is_refused(small):
    with pytest.raises(TooFewRowsError, match=r"at least 10 rows.*got 1"):
        train(small.head(1), "churned", "logistic_regression")


def test_all_null_target_is_refused(small):
    frame = small.with_columns(pl.lit(None, dtype=pl.Boolean).alias("churned"))

    with pytest.raises(TargetAllNullError, match="no non-null value"):
        train(frame, "churned", "logistic_regression")


def test_only_all_null_features_is_refused(small):
    frame = small.select("churned").with_columns(pl.lit(None, dtype=pl.Float64).alias("empty"))

    with pytest.raises(NoUsableFeaturesError, match="empty"):
        train(frame, "churned", "logistic_regression")
