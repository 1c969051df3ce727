"""How large a trained model's artifact will be, known before the long fit.

A forest's artifact grows with its trees, and a tree's size with the data: on a large dataset a
fully grown random forest can serialize to gigabytes, which the registry then refuses after
minutes of training. So a forest is first fitted with one tree (about 1/n_estimators of the
work); its serialized size times n_estimators is the forecast, and a forecast past the limit
fails the run right there, with the parameters that would shrink it. After the real fit the
exact size is checked again, before anything is registered.
"""

from typing import Any

from sklearn.base import clone
from sklearn.ensemble._forest import BaseForest
from sklearn.pipeline import Pipeline

from maestro.ml.errors import TrainingError
from maestro.ml.serialization import dump_model

# One probe tree varies in size around the forest's mean; leave room before refusing.
_FORECAST_MARGIN = 1.2


class ArtifactTooLargeError(TrainingError):
    """The trained model would not fit the artifact size limit."""


def check_forecast(model: Pipeline, x: Any, y: Any, max_bytes: int | None) -> None:
    """Fit a one-tree copy of a forest pipeline and refuse it early if n trees would not fit."""
    estimator = model.steps[-1][1]
    if max_bytes is None or not isinstance(estimator, BaseForest):
        return
    trees = int(estimator.get_params()["n_estimators"])
    probe = clone(model)
    probe.set_params(**{f"{model.steps[-1][0]}__n_estimators": 1})
    probe.fit(x, y)
    forecast = int(len(dump_model(probe)) * trees / _FORECAST_MARGIN)
    if forecast > max_bytes:
        raise ArtifactTooLargeError(
            f"the model would serialize to about {forecast} bytes ({trees} trees), over the "
            f"artifact limit of {max_bytes} bytes; lower n_estimators, or bound the trees with "
            "max_depth, max_leaf_nodes or min_samples_leaf"
        )


def check_size(artifact: bytes, max_bytes: int | None) -> None:
    if max_bytes is not None and len(artifact) > max_bytes:
        raise ArtifactTooLargeError(
            f"the trained model serializes to {len(artifact)} bytes, over the artifact limit of "
            f"{max_bytes} bytes; train a smaller model (fewer or shallower trees)"
        )
