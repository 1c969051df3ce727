"""Training: validate a request, fit a preprocessing + estimator Pipeline, evaluate, save.

Pure function of a polars frame and parameters; the caller (a job) gets progress through a
callback and can stop the run through a cancellation check polled between stages.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from maestro.ml.artifact_size import check_forecast, check_size
from maestro.ml.catalog import get_algorithm
from maestro.ml.errors import (
    MissingTargetError,
    NoUsableFeaturesError,
    SingleClassTargetError,
    TargetAllNullError,
    TooFewRowsError,
    TrainingCancelled,
    TrainingError,
    UnknownFeatureError,
)
from maestro.ml.evaluation import confusion, slice_metrics, task_metrics
from maestro.ml.features import (
    build_preprocessor,
    input_schema,
    is_supported,
    prepare_frame,
    prepared_kinds,
)
from maestro.ml.json_safe import json_safe
from maestro.ml.serialization import dump_model
from maestro.ml.tasks import Task, TaskChoice, resolve_task

#: Fewer labelled rows than this cannot give a meaningful train/test split.
MIN_ROWS = 10

ProgressCallback = Callable[[str, float], None]
CancelCheck = Callable[[], bool | None]


@dataclass
class TrainingResult:
    """Everything a job records about a finished run; `to_dict()` omits the model bytes."""

    artifact: bytes
    task: Task
    algorithm: str
    hyperparameters: dict[str, Any]
    target: str
    features: list[str]
    dropped_features: dict[str, str]
    input_schema: dict[str, str]
    classes: list[Any] | None
    metrics: dict[str, float | None]
    confusion_matrix: list[list[int]] | None
    slice_metrics: list[dict[str, Any]]
    rows: int
    train_rows: int
    test_rows: int
    duration_seconds: float
    model: Pipeline = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe metadata (no artifact, no in-memory model)."""
        data = {k: v for k, v in vars(self).items() if k not in ("artifact", "model")}
        return json_safe(data)


def train(
    df: pl.DataFrame,
    target: str,
    algorithm: str,
    *,
    task: TaskChoice = "auto",
    hyperparameters: dict[str, Any] | None = None,
    features: Sequence[str] | None = None,
    test_size: float = 0.2,
    seed: int = 0,
    evaluation_slices: Sequence[str] = (),
    on_progress: ProgressCallback | None = None,
    cancel_check: CancelCheck | None = None,
    max_artifact_bytes: int | None = None,
) -> TrainingResult:
    """Train `algorithm` to predict `target` from `features` (default: every other column).

    Raises a `TrainingError` subclass with a readable message for every invalid request, and
    `TrainingCancelled` when `cancel_check` returns True (or raises it itself).
    """
    started = time.perf_counter()

    def stage(name: str, percent: float) -> None:
        if cancel_check is not None and cancel_check():
            raise TrainingCancelled(f"training cancelled before stage '{name}'")
        if on_progress is not None:
            on_progress(name, percent)

    stage("validate", 0.0)
    spec = get_algorithm(algorithm)
    if task not in ("classification", "regression", "auto"):
        raise TrainingError(f"task must be classification, regression or auto, got '{task}'")
    if not 0.0 < test_size < 1.0:
        raise TrainingError(f"test_size must be between 0 and 1 (exclusive), got {test_size}")
    _check_columns(df, target, features, evaluation_slices)
    if not is_supported(df.schema[target]):
        raise TrainingError(f"target column '{target}' has unsupported type {df.schema[target]}")
    labelled = df.filter(pl.col(target).is_not_null())
    if labelled.height == 0:
        raise TargetAllNullError(f"target column '{target}' has no non-null value")
    y_series = labelled[target]
    resolved = resolve_task(task, y_series)
    params = dict(hyperparameters or {})
    estimator = spec.estimator(resolved, params, seed)

    stage("prepare", 10.0)
    wanted = list(features) if features is not None else [c for c in df.columns if c != target]
    null_counts = labelled.select(wanted).null_count().row(0, named=True)
    dropped = {
        c: f"unsupported type {dtype}"
        for c, dtype in labelled.select(wanted).schema.items()
        if not is_supported(dtype)
    }
    dropped |= {
        c: "all values are null"
        for c in wanted
        if null_counts[c] == labelled.height and c not in dropped
    }
    kept = [c for c in wanted if c not in dropped]
    if not kept:
        raise NoUsableFeaturesError(
            "no usable feature column: "
            + ("; ".join(f"{c}: {why}" for c, why in dropped.items()) or "none given")
        )
    if labelled.height < MIN_ROWS:
        raise TooFewRowsError(
            f"training needs at least {MIN_ROWS} rows with a target value, got {labelled.height}"
        )
    y = y_series.to_numpy()
    classes = np.unique(y) if resolved == "classification" else None
    if classes is not None and len(classes) < 2:
        raise SingleClassTargetError(
            f"target column '{target}' has a single class ({classes[0]!r}); "
            "classification needs at least two"
        )
    if resolved == "regression" and not y_series.dtype.is_numeric():
        raise TrainingError(f"regression needs a numeric target; '{target}' is {y_series.dtype}")
    schema = input_schema(labelled.select(kept))
    x = prepare_frame(labelled, schema)

    stage("split", 20.0)
    train_idx, test_idx = _split(y, classes, test_size, seed)

    stage("fit", 30.0)
    model = Pipeline(
        [("preprocess", build_preprocessor(prepared_kinds(schema))), ("model", estimator)]
    )
    try:
        check_forecast(model, x[train_idx], y[train_idx], max_artifact_bytes)
        model.fit(x[train_idx], y[train_idx])
    except ValueError as exc:
        raise TrainingError(f"fitting {algorithm} failed: {exc}") from exc

    stage("evaluate", 80.0)
    x_test, y_test = x[test_idx], y[test_idx]
    y_pred = model.predict(x_test)
    proba = model.predict_proba(x_test) if hasattr(model, "predict_proba") else None
    scores = _decision_scores(model, x_test, classes, proba)
    metrics = task_metrics(resolved, y_test, y_pred, proba, classes, scores)
    slices = (
        slice_metrics(
            resolved,
            labelled.select(evaluation_slices)[test_idx],
            y_test,
            y_pred,
            proba,
            classes,
            scores,
        )
        if evaluation_slices
        else []
    )

    stage("serialize", 95.0)
    artifact = dump_model(model)
    check_size(artifact, max_artifact_bytes)
    result = TrainingResult(
        artifact=artifact,
        task=resolved,
        algorithm=algorithm,
        hyperparameters=json_safe(estimator.get_params(deep=False)),
        target=target,
        features=kept,
        dropped_features=dropped,
        input_schema=schema,
        classes=classes.tolist() if classes is not None else None,
        metrics=metrics,
        confusion_matrix=confusion(y_test, y_pred, classes) if classes is not None else None,
        slice_metrics=slices,
        rows=labelled.height,
        train_rows=len(train_idx),
        test_rows=len(test_idx),
        duration_seconds=time.perf_counter() - started,
        model=model,
    )
    if on_progress is not None:
        on_progress("done", 100.0)
    return result


def _check_columns(
    df: pl.DataFrame, target: str, features: Sequence[str] | None, slices: Sequence[str]
) -> None:
    if target not in df.columns:
        raise MissingTargetError(
            f"target column '{target}' is not in the dataset; columns: {', '.join(df.columns)}"
        )
    if features is not None:
        unknown = [c for c in features if c not in df.columns]
        if unknown:
            raise UnknownFeatureError(f"unknown feature column(s): {', '.join(unknown)}")
        if target in features:
            raise TrainingError(f"the target column '{target}' cannot also be a feature")
    unknown_slices = [c for c in slices if c not in df.columns]
    if unknown_slices:
        raise UnknownFeatureError(
            f"unknown evaluation slice column(s): {', '.join(unknown_slices)}"
        )


def _split(
    y: np.ndarray, classes: np.ndarray | None, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified when every class has at least two rows, so the test set sees every class."""
    indices = np.arange(len(y))
    stratify = None
    if classes is not None:
        _, counts = np.unique(y, return_counts=True)
        n_test = math.ceil(test_size * len(y))
        if counts.min() >= 2 and n_test >= len(classes) and len(y) - n_test >= len(classes):
            stratify = y
    train_idx, test_idx = train_test_split(
        indices, test_size=test_size, random_state=seed, stratify=stratify
    )
    return np.sort(train_idx), np.sort(test_idx)


def _decision_scores(
    model: Pipeline, x: pl.DataFrame, classes: np.ndarray | None, proba: np.ndarray | None
) -> np.ndarray | None:
    """Ranking scores for ROC AUC when a binary classifier has no probabilities."""
    if classes is None or proba is not None or len(classes) != 2:
        return None
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(x))
    return None
