"""A training run whose model would not fit the artifact limit fails before the long fit."""

import time

import numpy as np
import polars as pl
import pytest

from maestro.ml.artifact_size import ArtifactTooLargeError
from maestro.ml.training import train


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 4))
    return pl.DataFrame({f"x{i}": x[:, i] for i in range(4)} | {"y": x.sum(axis=1)})


def fit(frame: pl.DataFrame, limit: int | None) -> float:
    started = time.perf_counter()
    train(
        frame, "y", "random_forest", hyperparameters={"n_estimators": 150}, max_artifact_bytes=limit
    )
    return time.perf_counter() - started


def test_a_forest_too_large_for_the_artifact_limit_fails_before_the_full_fit(frame):
    full = fit(frame, None)
    started = time.perf_counter()
    with pytest.raises(ArtifactTooLargeError, match="n_estimators"):
        fit(frame, 1_000_000)
    assert time.perf_counter() - started < full / 4


def test_a_forest_within_the_limit_trains(frame):
    fit(frame, 512 * 1024 * 1024)
