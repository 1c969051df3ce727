"""Online prediction: JSON rows in, JSON-safe predictions (and probabilities) out."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from maestro.ml.features import prepare_frame
from maestro.ml.json_safe import json_safe


def predict(
    model: Any, rows: Sequence[Mapping[str, Any]], input_schema: Mapping[str, str] | None = None
) -> tuple[list[Any], list[list[float]] | None]:
    """Predict for `rows` (dicts of feature -> value); probabilities only for classifiers.

    With the `input_schema` of a platform-trained model, rows are cast and prepared exactly as
    at training time (missing features become null and are imputed). Without it (an uploaded
    pipeline), columns follow the model's `feature_names_in_` and values are passed as given.
    """
    if not rows:
        return [], None
    if input_schema is not None:
        raw = _frame(rows, list(input_schema))
        x: Any = prepare_frame(raw, input_schema)
    else:
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            x = np.asarray([list(r.values()) for r in rows])
        else:
            x = _frame(rows, [str(n) for n in names])
    predictions = json_safe(np.asarray(model.predict(x)).tolist())
    probabilities = None
    if hasattr(model, "predict_proba"):
        probabilities = json_safe(np.asarray(model.predict_proba(x)).tolist())
    return predictions, probabilities


def _frame(rows: Sequence[Mapping[str, Any]], columns: list[str]) -> pl.DataFrame:
    """A frame with exactly `columns`, in order, letting polars pick each column's type."""
    return pl.DataFrame(
        [pl.Series(name, [row.get(name) for row in rows], strict=False) for name in columns]
    )
