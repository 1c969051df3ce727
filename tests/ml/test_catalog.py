"""Algorithm catalog and hyperparameter validation."""

import pytest
from sklearn.ensemble import RandomForestRegressor

from maestro.ml.catalog import CATALOG, get_algorithm
from maestro.ml.errors import InvalidHyperparameterError, UnknownAlgorithmError


def test_catalog_covers_required_algorithms_and_tasks():
    assert {
        "logistic_regression",
        "linear_regression",
        "ridge",
        "random_forest",
        "gradient_boosting",
    } <= set(CATALOG)
    assert get_algorithm("ridge").tasks == ("classification", "regression")
    assert get_algorithm("logistic_regression").tasks == ("classification",)


def test_estimator_gets_defaults_hyperparameters_and_seed():
    estimator = get_algorithm("random_forest").estimator("regression", {"max_depth": 4}, seed=3)

    assert isinstance(estimator, RandomForestRegressor)
    assert estimator.max_depth == 4
    assert estimator.random_state == 3


def test_unknown_algorithm_lists_the_valid_names():
    with pytest.raises(UnknownAlgorithmError, match="choose one of: gradient_boosting"):
        get_algorithm("xgboost")


def test_algorithm_without_the_task_is_refused():
    with pytest.raises(UnknownAlgorithmError, match="does not support regression"):
        get_algorithm("logistic_regression").estimator("regression", {}, seed=0)


def test_unknown_hyperparameter_name_is_refused_with_valid_names():
    with pytest.raises(InvalidHyperparameterError, match=r"n_trees.*valid names:.*n_estimators"):
        get_algorithm("random_forest").estimator("classification", {"n_trees": 5}, seed=0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_estimators": -1}, "'n_estimators' parameter of RandomForestClassifier must be"),
        ({"max_depth": "deep"}, "'max_depth' parameter"),
        ({"criterion": "purity"}, "'criterion' parameter"),
    ],
)
def test_bad_hyperparameter_value_gives_sklearns_message(params, message):
    with pytest.raises(InvalidHyperparameterError, match=message):
        get_algorithm("random_forest").estimator("classification", params, seed=0)
