"""Trees and forests answered in one pass, bit-identical to scikit-learn, at online-request sizes.

Online prediction asks a classifier for labels and probabilities, on a few rows at a time. Asked
through the public methods, a forest walks its trees twice (`predict` is `predict_proba` plus an
argmax), and each walk goes through `joblib.Parallel` even with one job: per tree it wraps the
call with scikit-learn's config and warning filters, which costs far more than the tree itself on
small batches (a 100-tree forest: about 12 ms for one row, of which the trees take under 2 ms).

So for single-output trees and forests (alone or as a Pipeline's last step), this module sums
`tree.predict_proba(X, check_input=False)` (or `predict`) over `estimators_` in order and divides
once, which is what the forest's `_accumulate_prediction` does with one job: the same floats,
bit for bit (tests compare them), and labels as `classes_.take(argmax(proba))`, the forests' and
trees' own rule. Any other model returns None and is asked through its public methods. The
scikit-learn version is pinned; a release that changed these rules would fail those tests.
"""

from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import Pipeline
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)

_FORESTS = (
    RandomForestClassifier,
    ExtraTreesClassifier,
    RandomForestRegressor,
    ExtraTreesRegressor,
)
_TREES = (DecisionTreeClassifier, ExtraTreeClassifier, DecisionTreeRegressor, ExtraTreeRegressor)

#: (labels or values, probabilities for a classifier else None)
Answer = tuple[np.ndarray, np.ndarray | None]


def predict(model: Any, x: Any) -> Answer | None:
    """Labels and probabilities (classifier) or values (regressor), or None: not a tree model."""
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if not isinstance(final, _FORESTS + _TREES) or getattr(final, "n_outputs_", 0) != 1:
        return None
    if isinstance(model, Pipeline):
        x = _transform(model, x)
    if isinstance(final, _TREES):
        if not is_classifier(final):
            return np.asarray(final.predict(x)), None
        proba = np.asarray(final.predict_proba(x))
        return final.classes_.take(np.argmax(proba, axis=1), axis=0), proba
    checked = final._validate_X_predict(x)  # the forest's own check (dtype, names, missing values)
    if not is_classifier(final):
        total = np.zeros(checked.shape[0], dtype=np.float64)
        for tree in final.estimators_:
            total += tree.predict(checked, check_input=False)
        total /= len(final.estimators_)
        return total, None
    proba = np.zeros((checked.shape[0], final.n_classes_), dtype=np.float64)
    for tree in final.estimators_:
        proba += tree.predict_proba(checked, check_input=False)
    proba /= len(final.estimators_)
    return final.classes_.take(np.argmax(proba, axis=1), axis=0), proba


def _transform(pipeline: Pipeline, x: Any) -> Any:
    """Every step but the last, as `Pipeline.predict` applies them."""
    for _, step in pipeline.steps[:-1]:
        if step is not None and step != "passthrough":
            x = step.transform(x)
    return x
