"""Data and prediction drift between a reference sample and a window of live values.

Pure computation: frames in, a `DriftReport` out (no database, no HTTP).

Numeric columns are compared with the Population Stability Index over bins fixed by the
reference alone (its deciles, plus one bucket for nulls), so the bins never move with the live
window and two runs are comparable. Categorical columns (and numeric ones with at most 20
distinct reference values, as Evidently does) are compared with the Jensen-Shannon distance
(natural log) over the union of categories, nulls included. Thresholds are Evidently's defaults
(`psi` and `jensenshannon` stat tests: 0.1, drifted when the score is at or above it; a dataset
drifts when at least half of its columns do, `drift_share=0.5`). Empty shares are filled with
0.0001 before the PSI logarithm, as Evidently does.

Under no drift PSI is about (bins - 1) * (1/n + 1/m), so a live window needs a few hundred rows
before 0.1 means something: below `MIN_ROWS` the run is reported as insufficient, not computed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

PSI_THRESHOLD = 0.1
JS_THRESHOLD = 0.1
DRIFT_SHARE = 0.5
N_BINS = 10
MAX_DISCRETE_VALUES = 20  # at most this many distinct numeric values: compared as categories
MIN_ROWS = 200
_EMPTY_SHARE = 1e-4

ColumnKind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    kind: ColumnKind
    method: Literal["psi", "jensenshannon"]
    score: float
    threshold: float
    drifted: bool
    reference_rows: int
    current_rows: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DriftReport:
    features: list[ColumnDrift]
    prediction: ColumnDrift | None
    reference_rows: int
    current_rows: int
    drift_share_threshold: float = DRIFT_SHARE
    drifted: list[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "drifted", [f.column for f in self.features if f.drifted])

    @property
    def drift_share(self) -> float:
        """Share of the features that drifted (0 when there are none)."""
        return len(self.drifted) / len(self.features) if self.features else 0.0

    @property
    def dataset_drift(self) -> bool:
        return bool(self.features) and self.drift_share >= self.drift_share_threshold


def column_kind(series: pl.Series) -> ColumnKind:
    """Numeric only when the column is numeric with more than 20 distinct values."""
    if series.dtype.is_numeric() and series.drop_nulls().n_unique() > MAX_DISCRETE_VALUES:
        return "numeric"
    return "categorical"


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of two share vectors over the same buckets (empty shares filled as Evidently does)."""
    ref = np.where(reference == 0, _EMPTY_SHARE, reference)
    cur = np.where(current == 0, _EMPTY_SHARE, current)
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def jensen_shannon(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen-Shannon distance (natural log, so within 0..sqrt(ln 2)) of two share vectors."""
    p = reference / reference.sum()
    q = current / current.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / m[mask])))

    return float(np.sqrt(max(0.0, (kl(p) + kl(q)) / 2)))


def reference_edges(values: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Inner bin edges at the reference's quantiles (duplicates merged); fixed for the run."""
    quantiles = np.quantile(values, np.linspace(0, 1, n_bins + 1)[1:-1])
    return np.unique(quantiles)


def _numeric_shares(series: pl.Series, edges: np.ndarray) -> np.ndarray:
    """Shares per bucket: one per bin between `edges` (open-ended outer bins), then nulls."""
    values = series.cast(pl.Float64, strict=False)
    finite = values.drop_nulls().drop_nans().to_numpy()
    counts = np.bincount(np.searchsorted(edges, finite, side="right"), minlength=len(edges) + 1)
    missing = len(values) - len(finite)
    return np.append(counts, missing).astype(float) / max(1, len(values))


def _category_shares(series: pl.Series, categories: Sequence[Any]) -> np.ndarray:
    counts = dict(series.value_counts().iter_rows())
    return np.array([counts.get(c, 0) for c in categories], dtype=float) / max(1, len(series))


def compare_column(
    name: str, reference: pl.Series, current: pl.Series, kind: ColumnKind | None = None
) -> ColumnDrift:
    """Drift of one column: PSI on reference deciles, or Jensen-Shannon on categories."""
    kind = kind or column_kind(reference)
    if kind == "numeric":
        ref_values = reference.cast(pl.Float64, strict=False).drop_nulls().drop_nans().to_numpy()
        edges = reference_edges(ref_values) if len(ref_values) else np.array([])
        score = psi(_numeric_shares(reference, edges), _numeric_shares(current, edges))
        method, threshold = "psi", PSI_THRESHOLD
    else:
        ref_text = reference.cast(pl.String, strict=False)
        cur_text = current.cast(pl.String, strict=False)
        categories = list(dict.fromkeys([*ref_text.unique().to_list(), *cur_text.unique()]))
        score = jensen_shannon(
            _category_shares(ref_text, categories), _category_shares(cur_text, categories)
        )
        method, threshold = "jensenshannon", JS_THRESHOLD
    return ColumnDrift(
        column=name,
        kind=kind,
        method=method,  # type: ignore[arg-type]
        score=round(score, 6),
        threshold=threshold,
        drifted=score >= threshold,
        reference_rows=len(reference),
        current_rows=len(current),
    )


def compare(
    reference: pl.DataFrame,
    current: pl.DataFrame,
    *,
    reference_predictions: pl.Series | None = None,
    current_predictions: pl.Series | None = None,
    prediction_kind: ColumnKind | None = None,
    kinds: Mapping[str, ColumnKind] | None = None,
) -> DriftReport:
    """Per-feature drift for every reference column, and prediction drift when both are given.

    A column absent from `current` counts as all-null there (which is itself drift).
    """
    kinds = kinds or {}
    features = []
    for name in reference.columns:
        live = current[name] if name in current.columns else pl.Series(name, [None] * len(current))
        features.append(compare_column(name, reference[name], live, kinds.get(name)))
    prediction = None
    if reference_predictions is not None and current_predictions is not None:
        prediction = compare_column(
            "prediction", reference_predictions, current_predictions, prediction_kind
        )
    return DriftReport(
        features=features,
        prediction=prediction,
        reference_rows=reference.height,
        current_rows=current.height,
    )


def rows_frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pl.DataFrame:
    """Logged JSON rows as a frame with exactly `columns` (types as polars infers them)."""
    return pl.DataFrame(
        [pl.Series(name, [row.get(name) for row in rows], strict=False) for name in columns]
    )
