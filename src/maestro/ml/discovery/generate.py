"""Stage `generate`: candidate features, scored on the sample and ranked by relevance gain.

Gain is measured in the score the transformation can change: a log is monotone, so it cannot
change (binned) mutual information and its gain is the increase in |Pearson r|; ratios,
products and datetime parts are scored by the increase in mutual information over the best
parent.
"""

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import polars as pl

from maestro.ml.discovery.encoding import (
    TargetView,
    abs_correlation,
    as_float,
    mutual_information,
    quantile_codes,
)
from maestro.ml.discovery.report import CandidateFeature, ColumnProfile, FeatureRelevance

SKEWED_FOR_LOG = 1.0
PAIR_FEATURES = 5
MAX_CANDIDATES = 50
DATETIME_PARTS = ("month", "day", "weekday", "hour")


@dataclass
class _Spec:
    name: str
    expression: str
    kind: str
    parents: list[str]
    build: Callable[[pl.DataFrame], np.ndarray]
    monotone: bool = False


def generate_candidates(
    sample: pl.DataFrame,
    profiles: list[ColumnProfile],
    target: TargetView | None,
    relevance: list[FeatureRelevance],
) -> list[CandidateFeature]:
    """Candidates best-gain first (unscored and in generation order without a target)."""
    specs = _datetime_parts(profiles) + _logs(profiles) + _pairs(profiles, relevance)
    parent_mi = {r.feature: r.mutual_information for r in relevance}
    parent_corr = {r.feature: abs(r.correlation) for r in relevance if r.correlation is not None}
    candidates = []
    for spec in specs:
        candidate = CandidateFeature(spec.name, spec.expression, spec.kind, spec.parents)
        if target is not None and sample.height > 0:
            values = spec.build(sample)
            if np.nanstd(values) == 0 or np.isnan(values).all():
                continue
            candidate.mutual_information = mutual_information(quantile_codes(values), target)
            candidate.correlation = abs_correlation(values, target)
            if spec.monotone:
                base = parent_corr.get(spec.parents[0])
                if candidate.correlation is not None and base is not None:
                    candidate.gain = candidate.correlation - base
            else:
                base_mi = max(parent_mi.get(p, 0.0) for p in spec.parents)
                candidate.gain = candidate.mutual_information - base_mi
        candidates.append(candidate)
    if target is not None:
        candidates.sort(key=lambda c: -np.inf if c.gain is None else c.gain, reverse=True)
    return candidates[:MAX_CANDIDATES]


def _datetime_parts(profiles: list[ColumnProfile]) -> list[_Spec]:
    specs = []
    for p in profiles:
        if p.semantic_type != "datetime" or p.missing_ratio == 1.0:
            continue
        parse = ".str.to_datetime(strict=False)" if p.dtype == "String" else ""
        for part in DATETIME_PARTS:
            specs.append(
                _Spec(
                    f"{p.name}_{part}",
                    f'pl.col("{p.name}"){parse}.dt.{part}()',
                    "datetime_part",
                    [p.name],
                    _datetime_part(p.name, part, bool(parse)),
                )
            )
    return specs


def _datetime_part(name: str, part: str, parse: bool) -> Callable[[pl.DataFrame], np.ndarray]:
    def build(df: pl.DataFrame) -> np.ndarray:
        column = df[name].str.to_datetime(strict=False) if parse else df[name]
        column = column.cast(pl.Datetime, strict=False)
        return as_float(getattr(column.dt, part)())

    return build


def _logs(profiles: list[ColumnProfile]) -> list[_Spec]:
    specs = []
    for p in profiles:
        skew = p.statistics.get("skewness")
        minimum = p.statistics.get("min")
        if p.semantic_type != "numeric" or skew is None or minimum is None:
            continue
        if skew >= SKEWED_FOR_LOG and minimum >= 0:
            specs.append(
                _Spec(
                    f"log1p_{p.name}",
                    f'pl.col("{p.name}").log1p()',
                    "log",
                    [p.name],
                    lambda df, n=p.name: np.log1p(as_float(df[n])),
                    monotone=True,
                )
            )
    return specs


def _pairs(profiles: list[ColumnProfile], relevance: list[FeatureRelevance]) -> list[_Spec]:
    """Ratios and products of the most relevant numeric columns (all numeric without target)."""
    numeric = {p.name for p in profiles if p.semantic_type == "numeric" and p.distinct_count > 1}
    ordered = [r.feature for r in relevance if r.feature in numeric] or sorted(numeric)
    top = ordered[:PAIR_FEATURES]
    specs = []
    for a, b in combinations(top, 2):
        specs.append(
            _Spec(
                f"{a}_per_{b}",
                f'pl.col("{a}") / pl.col("{b}")',
                "ratio",
                [a, b],
                lambda df, a=a, b=b: _safe_ratio(as_float(df[a]), as_float(df[b])),
            )
        )
        specs.append(
            _Spec(
                f"{a}_times_{b}",
                f'pl.col("{a}") * pl.col("{b}")',
                "product",
                [a, b],
                lambda df, a=a, b=b: as_float(df[a]) * as_float(df[b]),
            )
        )
    return specs


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """a / b with NaN where b is zero."""
    return np.divide(
        numerator,
        denominator,
        out=np.full(numerator.shape, np.nan),
        where=denominator != 0,
    )
