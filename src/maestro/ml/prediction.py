"""Online prediction: JSON rows in, JSON-safe predictions (and probabilities) out."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from maestro.ml import tree_inference
from maestro.ml.features import prepare_frame
from maestro.ml.json_safe import json_safe


def predict(
    model: Any,
    rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
    input_schema: Mapping[str, str] | None = None,
) -> tuple[list[Any], list[list[float]] | None]:
    """Predict for `rows`; probabilities only for classifiers.

    With the `input_schema` of a platform-trained model, rows (dicts) are cast and prepared
    exactly as at training time (missing features become null and are imputed). Without it (an
    uploaded pipeline), dict rows follow the model's `feature_names_in_` and values are passed as
    given; a model fitted without feature names takes rows as lists in column order.
    """
    if not rows:
        return [], None
    if input_schema is not None:
        raw = _frame(rows, list(input_schema))  # type: ignore[arg-type]
        x: Any = prepare_frame(raw, input_schema)
    else:
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            x = np.asarray([list(r) for r in rows])
        else:
            x = _frame(rows, [str(n) for n in names])  # type: ignore[arg-type]
    answer = tree_inference.predict(model, x)
    if answer is not None:
        labels, proba = answer
    else:
        labels = np.asarray(model.predict(x))
        proba = np.asarray(model.predict_proba(x)) if hasattr(model, "predict_proba") else None
    probabilities = json_safe(proba.tolist()) if proba is not None else None
    return json_safe(labels.tolist()), probabilities


def _frame(rows: Sequence[Mapping[str, Any]], columns: list[str]) -> pl.DataFrame:
    """A frame with exactly `columns`, in order, letting polars pick each column's type."""
    return pl.DataFrame(
        [pl.Series(name, [row.get(name) for row in rows], strict=False) for name in columns]
    )
