"""Serving fixtures: a slow model to kill workers under, and the worker's own configuration."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from maestro.ml.serialization import dump_model


@pytest.fixture(scope="session")
def slow_forest() -> tuple[bytes, list[list[float]]]:
    """A deep forest and a batch it takes a noticeable time to predict (unnamed features)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 8))
    y = (x[:, 0] * x[:, 1] + rng.normal(size=2000) > 0).astype(int)
    model = RandomForestClassifier(n_estimators=300, random_state=0).fit(x, y)
    return dump_model(model), rng.normal(size=(10_000, 8)).round(3).tolist()
