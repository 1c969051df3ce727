"""Held-out evaluation: overall metrics, confusion matrix and per-slice metrics."""

import math
from typing import Any

import numpy as np
import polars as pl
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from maestro.ml.tasks import Task

#: Slices per column: the most frequent values (numeric columns are binned into quantiles).
TOP_SLICES = 10
QUANTILE_BINS = 4


def classification_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None,
    classes: np.ndarray,
    scores: np.ndarray | None = None,
) -> dict[str, float | None]:
    """accuracy and f1_macro always; roc_auc for binary targets; log_loss with probabilities."""
    metrics: dict[str, float | None] = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1_macro": float(f1_score(y_true, y_pred, average="macro", labels=classes)),
    }
    both_present = len(np.unique(y_true)) == 2
    if len(classes) == 2 and both_present:
        positive = proba[:, 1] if proba is not None else scores
        if positive is not None:
            metrics["roc_auc"] = float(roc_auc_score(y_true == classes[1], positive))
    if proba is not None:
        metrics["log_loss"] = float(log_loss(y_true, proba, labels=classes))
    return {k: _finite(v) for k, v in metrics.items()}


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float | None]:
    """rmse, mae and r2 (r2 is undefined, hence None, on fewer than two rows)."""
    metrics = {
        "rmse": float(root_mean_squared_error(y_true, y_pred)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)) if len(y_true) >= 2 else None,
    }
    return {k: _finite(v) for k, v in metrics.items()}


def task_metrics(
    task: Task,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None,
    classes: np.ndarray | None,
    scores: np.ndarray | None = None,
) -> dict[str, float | None]:
    """Metrics of the task, dispatching on it."""
    if task == "classification":
        assert classes is not None
        return classification_metrics(y_true, y_pred, proba, classes, scores)
    return regression_metrics(y_true, y_pred)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: np.ndarray) -> list[list[int]]:
    """Confusion matrix as nested lists, rows = true class, columns = predicted, in class order."""
    return confusion_matrix(y_true, y_pred, labels=classes).tolist()


def slice_metrics(
    task: Task,
    slices: pl.DataFrame,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None,
    classes: np.ndarray | None,
    scores: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Metrics per value of each slice column (top values; numbers binned by quantile)."""
    results: list[dict[str, Any]] = []
    for name in slices.columns:
        labels = _slice_labels(slices[name])
        top = labels.value_counts(sort=True).head(TOP_SLICES)
        for value in top[name].to_list():
            mask = labels.eq_missing(value).to_numpy()
            metrics = task_metrics(
                task,
                y_true[mask],
                y_pred[mask],
                proba[mask] if proba is not None else None,
                classes,
                scores[mask] if scores is not None else None,
            )
            results.append(
                {
                    "feature": name,
                    "value": value,
                    "rows": int(mask.sum()),
                    "metrics": metrics,
                }
            )
    return results


def _slice_labels(column: pl.Series) -> pl.Series:
    """String labels per row: the value itself, or its quantile bin for many-valued numbers."""
    if not (column.dtype.is_numeric() and column.n_unique() > TOP_SLICES):
        return column.cast(pl.String)
    qs = [column.quantile(i / QUANTILE_BINS) for i in range(1, QUANTILE_BINS)]
    edges = sorted({q for q in qs if q is not None})
    label = pl.lit(f">= {_short(edges[-1])}") if edges else pl.lit("all")
    for low, high in reversed(list(zip([None, *edges[:-1]], edges, strict=True))):
        text = f"< {_short(high)}" if low is None else f"[{_short(low)}, {_short(high)})"
        label = pl.when(pl.col(column.name) < high).then(pl.lit(text)).otherwise(label)
    return column.to_frame().select(
        pl.when(pl.col(column.name).is_null()).then(None).otherwise(label).alias(column.name)
    )[column.name]


def _short(value: float) -> str:
    return f"{value:.4g}"


def _finite(value: float | None) -> float | None:
    """NaN and infinities are not JSON; report them as missing."""
    return value if value is not None and math.isfinite(value) else None
