"""Data-quality alerts from the column profiles, numeric correlations and duplicate rows."""

import warnings

import numpy as np
import polars as pl

from maestro.ml.discovery.encoding import as_float, is_numeric_like
from maestro.ml.discovery.report import Alert, ColumnProfile

QUASI_CONSTANT_RATIO = 0.95
HIGH_CARDINALITY = 50
MANY_MISSING_RATIO = 0.3
SKEWNESS = 2.0
HIGH_CORRELATION = 0.95
_BLOCK_ROWS = 16_384


def column_alerts(profiles: list[ColumnProfile]) -> list[Alert]:
    """Alerts that depend on one column's profile alone."""
    alerts: list[Alert] = []
    for p in profiles:
        mode_ratio = p.statistics.get("mode_ratio")
        skew = p.statistics.get("skewness")
        if p.missing_ratio == 1.0:
            alerts.append(Alert("many_missing", [p.name], f"{p.name} is entirely null", 1.0))
        elif p.missing_ratio >= MANY_MISSING_RATIO:
            alerts.append(
                Alert(
                    "many_missing",
                    [p.name],
                    f"{p.name} is {p.missing_ratio:.0%} missing",
                    p.missing_ratio,
                )
            )
        if p.distinct_count <= 1:
            alerts.append(
                Alert("constant", [p.name], f"{p.name} has at most one distinct value", None)
            )
        elif mode_ratio is not None and mode_ratio >= QUASI_CONSTANT_RATIO:
            alerts.append(
                Alert(
                    "quasi_constant",
                    [p.name],
                    f"{mode_ratio:.1%} of {p.name} is a single value",
                    mode_ratio,
                )
            )
        if p.semantic_type == "identifier":
            alerts.append(
                Alert(
                    "identifier_like",
                    [p.name],
                    f"{p.name} is unique per row ({p.distinct_ratio:.0%}); "
                    "it identifies rows and carries no generalizable signal",
                    p.distinct_ratio,
                )
            )
        elif p.semantic_type == "categorical" and p.distinct_count > HIGH_CARDINALITY:
            alerts.append(
                Alert(
                    "high_cardinality",
                    [p.name],
                    f"{p.name} has {p.distinct_count} distinct values",
                    float(p.distinct_count),
                )
            )
        if p.semantic_type == "numeric" and skew is not None and abs(skew) >= SKEWNESS:
            alerts.append(
                Alert("skewed", [p.name], f"{p.name} is skewed (skewness {skew:.2f})", skew)
            )
    return alerts


def correlation_alerts(sample: pl.DataFrame, profiles: list[ColumnProfile]) -> list[Alert]:
    """Pairs of numeric columns with |Pearson r| above the threshold (on the sample)."""
    names = [
        p.name
        for p in profiles
        if is_numeric_like(p) and p.distinct_count > 1 and p.missing_ratio < 1.0
    ]
    if len(names) < 2 or sample.height < 3:
        return []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        corr = _correlation_matrix(sample, names)
    upper = np.triu(np.abs(np.nan_to_num(corr)) >= HIGH_CORRELATION, k=1)
    return [
        Alert(
            "highly_correlated",
            [names[i], names[j]],
            f"{names[i]} and {names[j]} are highly correlated (r = {corr[i, j]:.3f})",
            float(corr[i, j]),
        )
        for i, j in zip(*np.nonzero(upper), strict=True)
    ]


def _correlation_matrix(sample: pl.DataFrame, names: list[str]) -> np.ndarray:
    """`np.corrcoef` of the mean-imputed columns, with the arithmetic of NumPy's `cov` and
    `corrcoef`, but the centered cross-products summed over blocks of `_BLOCK_ROWS` rows:
    stacking every column (then imputed and centered copies) held three 60 MB matrices at
    200,000 rows x 40 columns while the full frame is still loaded."""
    fill, means = np.empty(len(names)), np.empty(len(names))
    for i, name in enumerate(names):
        values = as_float(sample[name])
        fill[i] = np.nanmean(values)
        means[i] = np.where(np.isnan(values), fill[i], values).mean()
    cross = np.zeros((len(names), len(names)))
    block = np.empty((len(names), min(_BLOCK_ROWS, sample.height)))
    for start in range(0, sample.height, _BLOCK_ROWS):
        rows = block[:, : min(_BLOCK_ROWS, sample.height - start)]
        for i, name in enumerate(names):
            rows[i] = as_float(sample[name].slice(start, rows.shape[1]))
            rows[i][np.isnan(rows[i])] = fill[i]
            rows[i] -= means[i]
        cross += rows @ rows.T
    cross /= sample.height - 1
    stddev = np.sqrt(np.diag(cross))
    cross /= stddev[:, None]
    cross /= stddev[None, :]
    return np.clip(cross, -1, 1, out=cross)


def duplicate_rows(df: pl.DataFrame) -> int:
    """Rows that repeat an earlier row, counted by 64-bit row hash over the full frame
    (linear; a false match needs a hash collision, about n²/2⁶⁵: negligible)."""
    if df.height == 0 or df.width == 0:
        return 0
    return df.height - df.hash_rows().n_unique()


def duplicate_alert(duplicates: int, rows: int) -> list[Alert]:
    if duplicates == 0:
        return []
    return [
        Alert(
            "duplicate_rows",
            [],
            f"{duplicates} rows ({duplicates / rows:.1%}) duplicate an earlier row",
            float(duplicates),
        )
    ]
