"""Trees and forests answered in one pass give scikit-learn's own answers, bit for bit."""

import numpy as np
import polars as pl
import pytest
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from maestro.ml import tree_inference
from maestro.ml.prediction import predict
from maestro.ml.serialization import dump_model, load_model

FEATURES = ["a", "b", "c", "d"]


def _data(seed: int = 0) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(600, 4)).round(1)  # rounded: many rows land on tied votes
    x[rng.random(x.shape) < 0.05] = np.nan  # the trees' own missing-value routing
    labels = np.array(["cat", "dog", "eel"])[(x[:, 0] > 0).astype(int) + (x[:, 1] > 1).astype(int)]
    values = np.nan_to_num(x[:, 0]) * 3 + np.nan_to_num(x[:, 2])
    return pl.DataFrame(x, schema=FEATURES), labels, values


CLASSIFIERS = {
    "forest": RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0),
    "extra-trees": ExtraTreesClassifier(n_estimators=6, max_depth=2, random_state=0),
    "tree": DecisionTreeClassifier(max_depth=2, random_state=0),
    # Two fully grown trees: every disagreement between them is a tied vote.
    "pipeline": make_pipeline(StandardScaler(), RandomForestClassifier(2, random_state=0)),
}
REGRESSORS = {
    "forest": RandomForestRegressor(n_estimators=7, max_depth=4, random_state=0),
    "extra-trees": ExtraTreesRegressor(n_estimators=5, random_state=0),
    "tree": DecisionTreeRegressor(max_depth=3, random_state=0),
    "pipeline": make_pipeline(StandardScaler(), RandomForestRegressor(3, random_state=0)),
}


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifiers_answer_labels_and_probabilities_as_scikit_learn_does(name):
    x, labels, _ = _data()
    model = load_model(dump_model(CLASSIFIERS[name].fit(x, labels)))
    rows, _, _ = _data(seed=1)

    answer = tree_inference.predict(model, rows)

    assert answer is not None
    predicted, proba = answer
    assert proba is not None
    assert predicted.tolist() == model.predict(rows).tolist()
    assert np.array_equal(proba, model.predict_proba(rows))  # exact, not approximately
    if name == "pipeline":  # ties are broken the same way too
        top_two = np.sort(proba, axis=1)[:, -2:]
        assert np.isclose(top_two[:, 0], top_two[:, 1]).any()


@pytest.mark.parametrize("name", REGRESSORS)
def test_regressors_answer_values_as_scikit_learn_does(name):
    x, _, values = _data()
    model = load_model(dump_model(REGRESSORS[name].fit(x, values)))
    rows, _, _ = _data(seed=2)

    answer = tree_inference.predict(model, rows)

    assert answer is not None
    assert np.array_equal(answer[0], model.predict(rows))
    assert answer[1] is None


def test_other_models_and_multi_output_forests_are_left_to_scikit_learn():
    x, labels, values = _data()
    filled = x.fill_nan(0.0)
    assert tree_inference.predict(LogisticRegression().fit(filled, labels), filled) is None
    two_outputs = np.column_stack([values, values * 2])
    forest = RandomForestRegressor(3, random_state=0).fit(filled, two_outputs)
    assert tree_inference.predict(forest, filled) is None


def test_online_prediction_of_a_forest_matches_predict_and_predict_proba():
    x, labels, _ = _data()
    model = load_model(dump_model(CLASSIFIERS["forest"].fit(x, labels)))
    rows = _data(seed=3)[0].head(50).to_dicts()

    predictions, probabilities = predict(model, rows)

    frame = pl.DataFrame(rows, schema=FEATURES)
    assert predictions == model.predict(frame).tolist()
    assert probabilities == model.predict_proba(frame).tolist()
