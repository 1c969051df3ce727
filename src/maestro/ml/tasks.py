"""Learning task of a target column: classification or regression, inferred when asked."""

from typing import Literal

import polars as pl

Task = Literal["classification", "regression"]
TaskChoice = Literal["classification", "regression", "auto"]

#: An integer target with at most this many distinct values is treated as class labels.
MAX_INTEGER_CLASSES = 20


def infer_task(target: pl.Series) -> Task:
    """Floats are regression, strings/booleans/categoricals are classification, and
    integers are classification only when they look like a small set of labels."""
    dtype = target.dtype
    if dtype.is_float():
        return "regression"
    if dtype.is_integer():
        distinct = target.drop_nulls().n_unique()
        return "classification" if distinct <= MAX_INTEGER_CLASSES else "regression"
    return "classification"


def resolve_task(choice: TaskChoice, target: pl.Series) -> Task:
    """Return the explicit task, or infer it for `auto`."""
    return infer_task(target) if choice == "auto" else choice
