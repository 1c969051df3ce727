"""Stage `leakage`: features that alone predict the target almost perfectly.

Each feature is discretized finely and a lookup model (per code: majority class, or mean
target) is scored out-of-fold with KFold; an identifier cannot pass because its codes are
never seen outside their own fold. A numeric |r| above the threshold is also a suspect.
"""

import numpy as np
import polars as pl
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold

from maestro.ml.discovery.encoding import FINE_BINS, EncodedSample, TargetView, contingency
from maestro.ml.discovery.report import ColumnProfile, FeatureRelevance, LeakageSuspect

LEAKAGE_SCORE = 0.98
LEAKAGE_CORRELATION = 0.98
LEAKAGE_BINS = FINE_BINS
FOLDS = 3
MIN_ROWS = 20


def leakage_suspects(
    sample: pl.DataFrame,
    profiles: list[ColumnProfile],
    target: TargetView,
    relevance: list[FeatureRelevance],
    seed: int = 0,
    encoded: EncodedSample | None = None,
) -> list[LeakageSuspect]:
    """Suspects sorted by score, highest first."""
    encoded = encoded or EncodedSample(sample)
    if sample.height < MIN_ROWS or target.classes < 2:
        return []
    correlations = {r.feature: r.correlation for r in relevance}
    metric = "balanced_accuracy" if target.task == "classification" else "r2"
    folds = list(KFold(FOLDS, shuffle=True, random_state=seed).split(np.arange(sample.height)))
    suspects: list[LeakageSuspect] = []
    for profile in profiles:
        if profile.distinct_count <= 1:
            continue
        score = _lookup_cv_score(encoded.codes(profile, LEAKAGE_BINS), target, folds)
        correlation = correlations.get(profile.name)
        if score >= LEAKAGE_SCORE:
            suspects.append(
                LeakageSuspect(
                    profile.name,
                    metric,
                    score,
                    f"{profile.name} alone predicts the target with out-of-fold {metric} "
                    f"{score:.3f}; it is probably derived from the target",
                )
            )
        elif correlation is not None and abs(correlation) >= LEAKAGE_CORRELATION:
            suspects.append(
                LeakageSuspect(
                    profile.name,
                    "abs_correlation",
                    abs(correlation),
                    f"{profile.name} has |r| = {abs(correlation):.3f} with the target; "
                    "it is probably derived from the target",
                )
            )
    suspects.sort(key=lambda s: s.score, reverse=True)
    return suspects


def _lookup_cv_score(
    x: np.ndarray, target: TargetView, folds: list[tuple[np.ndarray, np.ndarray]]
) -> float:
    """Out-of-fold score of predicting the target from the feature's code alone."""
    n_codes = int(x.max()) + 1
    predictions = np.empty(len(x), dtype=float)
    for train, test in folds:
        if target.task == "classification":
            n_classes = int(target.codes.max()) + 1
            counts = np.bincount(
                x[train] * n_classes + target.codes[train], minlength=n_codes * n_classes
            ).reshape(n_codes, n_classes)
            majority = np.bincount(target.codes[train], minlength=n_classes).argmax()
            per_code = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), majority)
        else:
            sums = np.bincount(x[train], weights=target.values[train], minlength=n_codes)
            seen = np.bincount(x[train], minlength=n_codes)
            fallback = target.values[train].mean()
            per_code = np.divide(sums, seen, out=np.full(n_codes, fallback), where=seen > 0)
        predictions[test] = per_code[x[test]]
    if target.task == "classification":
        return _balanced_accuracy(target.codes, predictions.astype(np.int64))
    return float(r2_score(target.values, predictions))


def _balanced_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Mean per-class recall from a bincount confusion matrix (linear in rows)."""
    joint = contingency(truth, predicted)
    support = joint.sum(axis=1)
    present = support > 0
    hits = np.array([joint[i, i] if i < joint.shape[1] else 0 for i in range(joint.shape[0])])
    return float((hits[present] / support[present]).mean())
