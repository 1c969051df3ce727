"""Stage `relevance`: rank features by what they tell about the target.

Mutual information is estimated on discretized codes (quantile bins / top categories), which
is linear in rows and treats numeric and categorical features alike; Pearson r (regression and
binary targets) and the ANOVA F-test (classification) add the linear view.
"""

import numpy as np
import polars as pl
from scipy import special

from maestro.ml.discovery.encoding import (
    EncodedSample,
    TargetView,
    abs_correlation,
    is_numeric_like,
    mutual_information,
)
from maestro.ml.discovery.report import ColumnProfile, FeatureRelevance


def rank_features(
    sample: pl.DataFrame,
    profiles: list[ColumnProfile],
    target: TargetView,
    encoded: EncodedSample | None = None,
) -> list[FeatureRelevance]:
    """Features (every profile given) sorted by mutual information with the target, best first."""
    encoded = encoded or EncodedSample(sample)
    scored: list[FeatureRelevance] = []
    for profile in profiles:
        entry = FeatureRelevance(
            feature=profile.name,
            rank=0,
            mutual_information=mutual_information(encoded.codes(profile), target),
        )
        if is_numeric_like(profile) and profile.missing_ratio < 1.0:
            values = encoded.floats(profile.name)
            correlation = abs_correlation(values, target)
            if correlation is not None:
                entry.correlation = _signed(values, target, correlation)
            if target.task == "classification":
                entry.anova_f, entry.anova_p = _anova(values, target)
        scored.append(entry)
    scored.sort(key=lambda r: r.mutual_information, reverse=True)
    for rank, entry in enumerate(scored, start=1):
        entry.rank = rank
    return scored


def _signed(values: np.ndarray, target: TargetView, magnitude: float) -> float:
    """Give |r| back its sign (direction matters to a reader)."""
    mask = ~np.isnan(values)
    centered = (values[mask] - values[mask].mean()) * (
        target.values[mask] - target.values[mask].mean()
    )
    return magnitude if centered.sum() >= 0 else -magnitude


def _anova(values: np.ndarray, target: TargetView) -> tuple[float | None, float | None]:
    """One-way ANOVA F-test of the (mean-imputed) feature across the target's classes.

    sklearn's `f_classif` arithmetic (Heiman's sums of squares), with the per-class sums taken
    by `np.bincount` in one pass instead of one boolean mask per class and sklearn's input
    validation per call, which together cost more than the test itself.
    """
    filled = np.where(np.isnan(values), np.nanmean(values), values)
    classes = target.codes
    with np.errstate(all="ignore"):
        per_class = np.bincount(classes)
        present = per_class > 0
        n_classes, n_samples = int(present.sum()), classes.size
        sums = np.bincount(classes, weights=filled)[present]
        square_of_sums_alldata = sums.sum() ** 2
        sstot = (filled**2).sum() - square_of_sums_alldata / n_samples
        ssbn = (sums**2 / per_class[present]).sum() - square_of_sums_alldata / n_samples
        msb = ssbn / (n_classes - 1)
        msw = (sstot - ssbn) / (n_samples - n_classes)
        f = np.float64(msb) / np.float64(msw)
    if not np.isfinite(f):
        return None, None
    return float(f), float(special.fdtrc(n_classes - 1, n_samples - n_classes, f))
