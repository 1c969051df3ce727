"""Numeric views of a (sampled) frame shared by the relevance, leakage and generate stages.

Every column becomes either a float vector (NaN for missing) for linear statistics, or a
small-integer code vector (quantile bins / top categories, missing as its own code) for
contingency-based mutual information and single-feature lookup models.
"""

import functools
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.metrics import mutual_info_score

from maestro.ml.discovery.report import ColumnProfile
from maestro.ml.tasks import Task

#: Quantile bins per numeric column for mutual information.
MI_BINS = 32
#: The finest bin count asked for (leakage's lookup model); `MI_BINS` divides it.
FINE_BINS = 128  # < 255: fine codes (and the missing code) fit a byte
#: Distinct codes kept per categorical column; rarer values share one code.
MAX_CODES = 256  # (+ "other" and "missing": the codes fit 16 bits)
#: A category seen fewer times than this shares the "other" code: singletons (identifiers)
#: would otherwise look perfectly informative to a contingency-based estimate.
MIN_CATEGORY_COUNT = 5
_MISSING, _OTHER = "\0missing", "\0other"


def sample(df: pl.DataFrame, max_rows: int, seed: int = 0) -> pl.DataFrame:
    """At most `max_rows` rows, uniformly at random (the whole frame when smaller).

    The same rows, in the same order, as `df.sample(max_rows, seed=seed)` (the row indices are
    drawn the same way), but gathered column by column from a contiguous copy: a frame read
    from Parquet has one chunk per row group, and gathering random rows across chunks was
    2-3x slower than copying one column into one chunk first (one column at a time, so the
    copy never holds more than a column).
    """
    if df.height <= max_rows:
        return df
    rows = pl.int_range(df.height, eager=True).sample(max_rows, seed=seed)
    return pl.DataFrame([df[name].rechunk().gather(rows) for name in df.columns])


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


def sorted_quantiles(ordered: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """`np.quantile(values, quantiles)` (method "linear") from the already sorted values.

    The same arithmetic as NumPy's, so the edges are identical; sorting once lets every bin
    count of a column reuse the sort instead of NumPy partitioning the data again each time.
    """
    n = ordered.size
    virtual = (n - 1) * quantiles
    below = np.floor(virtual)
    gamma = virtual - below
    lower = below.astype(np.intp)
    upper = lower + 1
    top = virtual >= n - 1
    lower[top] = upper[top] = n - 1
    a, b = ordered[lower], ordered[upper]
    diff = b - a
    out = a + diff * gamma
    high = gamma >= 0.5
    out[high] = (b - diff * (1 - gamma))[high]
    return out


def quantile_edges(ordered: np.ndarray, bins: int) -> np.ndarray:
    """The distinct inner quantile edges of `bins` equal-frequency bins of sorted values."""
    return np.unique(sorted_quantiles(ordered, np.linspace(0, 1, bins + 1)[1:-1]))


def quantile_codes(
    values: np.ndarray, bins: int = MI_BINS, ordered: np.ndarray | None = None
) -> np.ndarray:
    """Quantile-bin codes 0..k-1, with NaN as code k (`ordered`: the sorted finite values)."""
    missing = np.isnan(values)
    if ordered is None:
        ordered = np.sort(values[~missing])
    if ordered.size == 0:
        return np.zeros(values.shape, dtype=np.int64)
    edges = quantile_edges(ordered, bins)
    codes = np.searchsorted(edges, values, side="right")
    codes[missing] = len(edges) + 1
    return codes.astype(np.int64)


def category_codes(column: pl.Series, max_codes: int = MAX_CODES) -> np.ndarray:
    """Codes of the `max_codes` most frequent values; others share one code, missing another.

    Codes follow the sorted order of the labels present (kept values, and the "other" and
    "missing" labels, which sort before ordinary text), i.e. a dense rank of the mapped column;
    the mapping is one hash lookup per row instead of ranking (sorting) the mapped strings.
    """
    text = column.cast(pl.String)
    counts = text.drop_nulls().value_counts(sort=True, name="count").head(max_codes)
    kept = counts.filter(pl.col("count") >= MIN_CATEGORY_COUNT)
    top = kept[text.name].to_list()
    labels = list(top)
    if text.null_count():
        labels.append(_MISSING)
    if int(kept["count"].sum()) < text.len() - text.null_count():
        labels.append(_OTHER)
    code = {label: i for i, label in enumerate(sorted(labels))}
    mapped = text.replace_strict(
        top, [code[v] for v in top], default=code.get(_OTHER, 0), return_dtype=pl.Int64
    )
    out = mapped.to_numpy(writable=True)
    if text.null_count():  # replace_strict gives missing values the default code
        out[text.is_null().to_numpy()] = code[_MISSING]
    return out


def codes(column: pl.Series, profile: ColumnProfile, bins: int = MI_BINS) -> np.ndarray:
    """Discrete codes of any column, by its semantic type."""
    if is_numeric_like(profile) and profile.semantic_type != "boolean":
        return quantile_codes(as_float(column), bins)
    return category_codes(column)


class EncodedSample:
    """The sample's per-column views, each computed once and shared by the stages.

    Relevance and leakage both discretize every column (at `MI_BINS` and `FINE_BINS` bins) and
    take its float view. A numeric column is binned once, finely: the quantiles at k/32 are
    among those at k/128 (the same floats), so its code at a coarser bin count dividing
    `FINE_BINS` is a lookup from its fine code, not a second binary search of every value.
    """

    def __init__(self, sample: pl.DataFrame) -> None:
        self.sample = sample
        self._fine: dict[str, tuple[np.ndarray, dict[int, np.ndarray]]] = {}
        self._categories: dict[str, np.ndarray] = {}

    def floats(self, name: str) -> np.ndarray:
        """The column's float view, not kept: the stages visit one column at a time, and
        keeping every column (8 bytes a row each) added ~60 MB to the peak."""
        return as_float(self.sample[name])

    def codes(self, profile: ColumnProfile, bins: int = MI_BINS) -> np.ndarray:
        name = profile.name
        if is_numeric_like(profile) and profile.semantic_type != "boolean":
            if FINE_BINS % bins:
                return quantile_codes(self.floats(name), bins)
            fine, edges = self._fine_codes(name)
            if bins == FINE_BINS or fine.size == 0 or not edges:
                return fine.astype(np.int64)
            kept = np.isin(edges[FINE_BINS], edges[bins])
            lookup = np.concatenate([[0], np.cumsum(kept), [len(edges[bins]) + 1]])
            return lookup[fine]
        if name not in self._categories:  # at most MAX_CODES + 2 codes: two bytes suffice
            self._categories[name] = category_codes(self.sample[name]).astype(np.uint16)
        return self._categories[name].astype(np.int64)

    def _fine_codes(self, name: str) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """`quantile_codes` at `FINE_BINS`, and the bin edges at every bin count dividing it
        (none when the column has no finite value)."""
        if name not in self._fine:
            values = self.floats(name)
            ordered = np.sort(values[~np.isnan(values)])
            edges = {
                bins: quantile_edges(ordered, bins)
                for bins in range(1, FINE_BINS + 1)
                if FINE_BINS % bins == 0 and ordered.size
            }
            # At most FINE_BINS + 1 codes: kept as bytes, an eighth of the memory, since the
            # cache holds every column of the sample while the full frame is still loaded.
            fine = quantile_codes(values, FINE_BINS, ordered).astype(np.uint8)
            self._fine[name] = (fine, edges)
        return self._fine[name]


@dataclass
class TargetView:
    """The target on the sample: class codes (or quantile-bin codes) plus float values."""

    task: Task
    codes: np.ndarray
    values: np.ndarray
    classes: int

    @functools.cached_property
    def centered(self) -> tuple[np.ndarray, float]:
        """The target values minus their mean, and that vector's norm."""
        centered = self.values - self.values.mean()
        return centered, float(np.linalg.norm(centered))

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
    """|Pearson r| of a float feature (mean-imputed) with the target, None if undefined.

    Computed as sklearn's `r_regression` does (centered dot product over the norms), without
    its per-call validation and copies, with the target centered once per target.
    """
    if not target.linear:
        return None
    filled = np.where(np.isnan(values), np.nanmean(values), values) if values.size else values
    if values.size < 3 or np.nanstd(filled) == 0 or np.std(target.values) == 0:
        return None
    centered, norm = target.centered
    feature = filled - filled.mean()
    return float(abs(centered @ feature / np.linalg.norm(feature) / norm))
