"""Crash-recovery tests run on both artifact stores (local files and S3) and both databases."""

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from maestro.storage import ArtifactStore
from tests.storage.conftest import _stored_names


@pytest.fixture(params=["local", "s3"])
def artifact_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def stored_names() -> Callable[[ArtifactStore], list[str]]:
    """Everything physically in the store: files, objects and unfinished multipart uploads."""
    return _stored_names


CSV = b"x,y\n" + b"".join(f"{i},{i % 2}\n".encode() for i in range(40))


def training_csv(rows: int, features: int, seed: int) -> bytes:
    """A learnable binary target `y` over `features` normal columns `x0...`."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    frame = pl.DataFrame({f"x{i}": x[:, i] for i in range(features)}).with_columns(
        y=pl.Series((x.sum(axis=1) + rng.normal(size=rows)) > 0)
    )
    return frame.write_csv().encode()
