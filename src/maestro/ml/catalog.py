"""Algorithm catalog: the estimators users may train, keyed by a stable name."""

from dataclasses import dataclass
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeClassifier
from sklearn.utils._param_validation import InvalidParameterError

from maestro.ml.errors import InvalidHyperparameterError, UnknownAlgorithmError
from maestro.ml.tasks import Task


@dataclass(frozen=True)
class Algorithm:
    """One catalog entry: the sklearn class per supported task, plus platform defaults."""

    name: str
    estimators: dict[Task, type[BaseEstimator]]
    defaults: dict[str, Any]
    description: str

    @property
    def tasks(self) -> tuple[Task, ...]:
        return tuple(self.estimators)

    def estimator(self, task: Task, hyperparameters: dict[str, Any], seed: int) -> BaseEstimator:
        """Build a configured, validated, unfitted estimator for `task`."""
        cls = self.estimators.get(task)
        if cls is None:
            raise UnknownAlgorithmError(
                f"algorithm '{self.name}' does not support {task}; "
                f"it supports: {', '.join(self.tasks)}"
            )
        estimator = cls()
        params = {**self.defaults, **hyperparameters}
        if "random_state" in estimator.get_params():
            params.setdefault("random_state", seed)
        return validate_hyperparameters(estimator, params)


CATALOG: dict[str, Algorithm] = {
    a.name: a
    for a in (
        Algorithm(
            "logistic_regression",
            {"classification": LogisticRegression},
            {"max_iter": 1000},
            "Linear model of class log-odds; fast, interpretable baseline.",
        ),
        Algorithm(
            "linear_regression",
            {"regression": LinearRegression},
            {},
            "Ordinary least squares; fast, interpretable baseline.",
        ),
        Algorithm(
            "ridge",
            {"classification": RidgeClassifier, "regression": Ridge},
            {},
            "L2-regularised linear model; robust to correlated features.",
        ),
        Algorithm(
            "random_forest",
            {"classification": RandomForestClassifier, "regression": RandomForestRegressor},
            {"n_estimators": 100, "n_jobs": 1},
            "Bagged decision trees; strong default for tabular data.",
        ),
        Algorithm(
            "gradient_boosting",
            {
                "classification": HistGradientBoostingClassifier,
                "regression": HistGradientBoostingRegressor,
            },
            {},
            "Histogram gradient-boosted trees; usually the most accurate on tabular data.",
        ),
    )
}


def get_algorithm(name: str) -> Algorithm:
    """Look an algorithm up by name, with the valid names in the error."""
    try:
        return CATALOG[name]
    except KeyError:
        raise UnknownAlgorithmError(
            f"unknown algorithm '{name}'; choose one of: {', '.join(sorted(CATALOG))}"
        ) from None


def validate_hyperparameters(estimator: BaseEstimator, params: dict[str, Any]) -> BaseEstimator:
    """Apply `params` and check them with sklearn's own constraints, before any fitting.

    `set_params` rejects unknown names; `_validate_params` checks each value against the
    estimator's `_parameter_constraints` (the same check `fit` runs), so messages are sklearn's.
    """
    valid = set(estimator.get_params(deep=False))
    unknown = sorted(set(params) - valid)
    if unknown:
        raise InvalidHyperparameterError(
            f"unknown hyperparameter(s) {', '.join(unknown)} for "
            f"{type(estimator).__name__}; valid names: {', '.join(sorted(valid))}"
        )
    estimator.set_params(**params)
    try:
        estimator._validate_params()
    except (InvalidParameterError, ValueError, TypeError) as exc:
        raise InvalidHyperparameterError(str(exc)) from exc
    return estimator
