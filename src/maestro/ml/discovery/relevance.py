"""Stage `relevance`: rank features by what they tell about the target.

Mutual information is estimated on discretized codes (quantile bins / top categories), which
is linear in rows and treats numeric and categorical features alike; Pearson r (regression and
binary targets) and the ANOVA F-test (classification) add the linear view.
"""

import warnings

import numpy as np
import polars as pl
from sklearn.feature_selection import f_classif

from maestro.ml.discovery.encoding import (
    TargetView,
    abs_correlation,
    as_float,
    codes,
    is_numeric_like,
    mutual_information,
)
from maestro.ml.discovery.report import ColumnProfile, FeatureRelevance


def rank_features(
    sample: pl.DataFrame, profiles: list[ColumnProfile], target: TargetView
) -> list[FeatureRelevance]:
    """Features (every profile given) sorted by mutual information with the target, best first."""
    scored: list[FeatureRelevance] = []
    for profile in profiles:
        column = sample[profile.name]
        entry = FeatureRelevance(
            feature=profile.name,
            rank=0,
            mutual_information=mutual_information(codes(column, profile), target),
        )
        if is_numeric_like(profile) and profile.missing_ratio < 1.0:
            values = as_float(column)
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
    filled = np.where(np.isnan(values), np.nanmean(values), values)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        f, p = f_classif(filled.reshape(-1, 1), target.codes)
    return (float(f[0]), float(p[0])) if np.isfinite(f[0]) else (None, None)
