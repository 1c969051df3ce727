"""Numeric views of a (sampled) frame shared by the relevance, leakage and generate stages.

Every column becomes either a float vector (NaN for missing) for linear statistics, or a
small-integer code vector (quantile bins / top categories, missing as its own code) for
contingency-based mutual information and single-feature lookup models.
"""

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.feature_selection import r_regression
from sklearn.metrics import mutual_info_score

from maestro.ml.discovery.report import ColumnProfile
from maestro.ml.tasks import Task

#: Quantile bins per numeric column for mutual information.
MI_BINS = 32
#: Distinct codes kept per categorical column; rarer values share one code.
MAX_CODES = 256
#: A category seen fewer times than this shares the "other" code: singletons (identifiers)
#: would otherwise look perfectly informative to a contingency-based estimate.
MIN_CATEGORY_COUNT = 5


def sample(df: pl.DataFrame, max_rows: int, seed: int = 0) -> pl.DataFrame:
    """At most `max_rows` rows, uniformly at random (the whole frame when smaller)."""
    return df if df.height <= max_rows else df.sample(max_rows, seed=seed)


def as_float(column: pl.Series) -> np.ndarray:
    """Float view: numbers as-is, booleans 0/1, datetimes as epoch seconds, durations in their
    unit, NaN for missing."""
    dtype = column.dtype
    if dtype in (pl.Date, pl.Datetime):
        column = column.cast(pl.Datetime("ms")).dt.epoch("s")
    elif dtype == pl.Duration:
        column = column.cast(pl.Int64)
    return column.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy()


def is_numeric_like(profile: ColumnProfile) -> bool:
    """Columns with a meaningful order and scale (datetimes count, as epoch seconds)."""
    return profile.semantic_type in ("numeric", "boolean", "datetime") and profile.dtype not in (
        "String",
        "Categorical",
    )


def quantile_codes(values: np.ndarray, bins: int = MI_BINS) -> np.ndarray:
    """Quantile-bin codes 0..k-1, with NaN as code k."""
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return np.zeros(values.shape, dtype=np.int64)
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
    codes = np.searchsorted(edges, values, side="right")
    codes[np.isnan(values)] = len(edges) + 1
    return codes.astype(np.int64)


def category_codes(column: pl.Series, max_codes: int = MAX_CODES) -> np.ndarray:
    """Codes of the `max_codes` most frequent values; others share one code, missing another."""
    text = column.cast(pl.String)
    counts = text.drop_nulls().value_counts(sort=True, name="count").head(max_codes)
    top = counts.filter(pl.col("count") >= MIN_CATEGORY_COUNT)[text.name]
    mapped = (
        pl.select(
            pl.when(text.is_in(top.implode()))
            .then(text)
            .when(text.is_null())
            .then(pl.lit("\0missing"))
            .otherwise(pl.lit("\0other"))
        )
        .to_series()
        .rank("dense")
    )
    return (mapped.cast(pl.Int64) - 1).to_numpy()


def codes(column: pl.Series, profile: ColumnProfile, bins: int = MI_BINS) -> np.ndarray:
    """Discrete codes of any column, by its semantic type."""
    if is_numeric_like(profile) and profile.semantic_type != "boolean":
        return quantile_codes(as_float(column), bins)
    return category_codes(column)


@dataclass
class TargetView:
    """The target on the sample: class codes (or quantile-bin codes) plus float values."""

    task: Task
    codes: np.ndarray
    values: np.ndarray
    classes: int

    @property
    def linear(self) -> bool:
        """Pearson correlation with the target is meaningful (regression or binary)."""
        return self.task == "regression" or self.classes == 2


def encode_target(column: pl.Series, task: Task) -> TargetView:
    """Encode a null-free target column for the relevance and leakage stages."""
    if task == "classification":
        target_codes = category_codes(column)
        return TargetView(task, target_codes, target_codes.astype(float), int(column.n_unique()))
    values = as_float(column)
    return TargetView(task, quantile_codes(values), values, int(column.n_unique()))


def contingency(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Joint counts of two dense small-integer code vectors, by one linear `bincount`
    (sklearn's own contingency_matrix sorts, which dominates run time on large samples)."""
    nx, ny = int(x.max()) + 1, int(y.max()) + 1
    return np.bincount(x * ny + y, minlength=nx * ny).reshape(nx, ny)


def mutual_information(feature_codes: np.ndarray, target: TargetView) -> float:
    """Mutual information (nats) between discrete codes and the target's codes.

    The plug-in estimate is biased upward by about (Kx - 1)(Ky - 1) / 2N (Miller-Madow);
    subtracting it keeps pure noise near zero whatever the number of bins or rows.
    """
    if feature_codes.size == 0:
        return 0.0
    joint = contingency(feature_codes, target.codes)
    raw = mutual_info_score(None, None, contingency=joint)
    kx = np.count_nonzero(joint.sum(axis=1))
    ky = np.count_nonzero(joint.sum(axis=0))
    bias = (kx - 1) * (ky - 1) / (2 * feature_codes.size)
    return max(0.0, float(raw - bias))


def abs_correlation(values: np.ndarray, target: TargetView) -> float | None:
    """|Pearson r| of a float feature (mean-imputed) with the target, None if undefined."""
    if not target.linear:
        return None
    filled = np.where(np.isnan(values), np.nanmean(values), values) if values.size else values
    if values.size < 3 or np.nanstd(filled) == 0 or np.std(target.values) == 0:
        return None
    return float(abs(r_regression(filled.reshape(-1, 1), target.values)[0]))
