"""Stage `profile`: per-column semantic type, completeness, cardinality and statistics.

Counts, distinct values, moments and ranges are exact, over the full frame (linear cost):
moments in one batched polars `select`, distinct values and top values in one counting pass
per column (`counting`). Quantiles (a selection per quantile) and the top values of
high-cardinality columns come from the uniform sample, which is where the full-frame cost
was; `statistics["from_sample"]` lists what was estimated that way.
"""

import re
from typing import Any

import numpy as np
import polars as pl

from maestro.ml.discovery.counting import EXACT_TOP_VALUES_MAX_DISTINCT, count_columns, top_values
from maestro.ml.discovery.report import ColumnProfile, SemanticType

#: A non-float column whose values are (almost) all distinct is an identifier.
IDENTIFIER_DISTINCT_RATIO = 0.95
MIN_ROWS_FOR_IDENTIFIER = 10
#: Strings this long on average (or with this many words) are free text, not categories.
TEXT_MEAN_LENGTH = 40
TEXT_MEAN_WORDS = 4
DATETIME_PROBE_ROWS = 500
DATETIME_PARSE_RATIO = 0.95
_ID_NAME = re.compile(r"(^|_)(id|uuid|guid|key|code|number|no)$|id$", re.IGNORECASE)
_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def profile_columns(df: pl.DataFrame, sample: pl.DataFrame) -> list[ColumnProfile]:
    """One ColumnProfile per column, in frame order; `sample` is a uniform row sample of `df`."""
    rows = df.height
    counted = count_columns(df, sample)
    stats = _statistics(df)
    for name, counts in counted.items():
        if counts.statistics:
            stats.setdefault(name, {}).update(counts.statistics)
    sampled = sample.height < df.height
    _add_quantiles(sample, stats, sampled)
    profiles = []
    for name, dtype in df.schema.items():
        nulls = df[name].null_count()
        non_null = rows - nulls
        distinct = counted[name].distinct
        column_stats = stats.get(name, {})
        semantic = _semantic_type(df[name], dtype, non_null, distinct, column_stats)
        profiles.append(
            ColumnProfile(
                name=name,
                dtype=str(dtype),
                semantic_type=semantic,
                missing_count=nulls,
                missing_ratio=nulls / rows if rows else 0.0,
                distinct_count=distinct,
                distinct_ratio=distinct / non_null if non_null else 0.0,
                statistics=column_stats,
                top_values=[],
            )
        )
    for p in profiles:
        found = counted[p.name].top_values
        if found is not None:
            _set_top_values(p, found, rows - p.missing_count)
    estimated = [p for p in profiles if p.distinct_count > EXACT_TOP_VALUES_MAX_DISTINCT]
    found_in_sample = top_values(sample, [p.name for p in estimated])
    for p in estimated:  # the mode's share among the sample's own non-missing values
        sample_non_null = sample.height - sample[p.name].null_count()
        _set_top_values(p, found_in_sample[p.name], sample_non_null)
    for p in estimated if sampled else []:
        p.statistics.setdefault("from_sample", []).extend(["top_values", "mode_ratio"])
    return profiles


def _statistics(df: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Numeric and datetime-range statistics in one select (text ones come from `counting`)."""
    exprs: list[pl.Expr] = []
    for name, dtype in df.schema.items():
        c = pl.col(name)
        if dtype.is_numeric():
            x = c.cast(pl.Float64)
            exprs += [
                x.mean().alias(f"{name}\0mean"),
                x.std().alias(f"{name}\0std"),
                x.min().alias(f"{name}\0min"),
                x.max().alias(f"{name}\0max"),
                x.skew().alias(f"{name}\0skewness"),
                (x == 0).mean().alias(f"{name}\0zeros_ratio"),
                (x < 0).mean().alias(f"{name}\0negative_ratio"),
            ]
        elif dtype.is_temporal():
            exprs += [c.min().alias(f"{name}\0min"), c.max().alias(f"{name}\0max")]
        elif dtype == pl.Boolean:
            exprs.append(c.cast(pl.Float64).mean().alias(f"{name}\0true_ratio"))
    if not exprs:
        return {}
    flat = df.select(exprs).row(0, named=True)
    stats: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        column, stat = key.split("\0")
        stats.setdefault(column, {})[stat] = value
    return stats


def _add_quantiles(sample: pl.DataFrame, stats: dict[str, dict[str, Any]], sampled: bool) -> None:
    """p05..p95 of numeric columns, in one numpy partition per column over the sample."""
    for name, dtype in sample.schema.items():
        if not dtype.is_numeric():
            continue
        values = sample[name].cast(pl.Float64).drop_nulls().drop_nans().to_numpy()
        column = stats.setdefault(name, {})
        quantiles = np.quantile(values, _QUANTILES) if values.size else [None] * len(_QUANTILES)
        for q, value in zip(_QUANTILES, quantiles, strict=True):
            column[f"p{round(q * 100):02d}"] = None if value is None else float(value)
        if sampled:
            column["from_sample"] = ["quantiles"]


def _semantic_type(
    column: pl.Series,
    dtype: pl.DataType,
    non_null: int,
    distinct: int,
    stats: dict[str, Any],
) -> SemanticType:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype in (pl.Date, pl.Datetime):
        return "datetime"
    if dtype == pl.Duration:
        return "numeric"
    unique_enough = (
        non_null >= MIN_ROWS_FOR_IDENTIFIER and distinct >= IDENTIFIER_DISTINCT_RATIO * non_null
    )
    if dtype.is_numeric():
        if distinct == 2 and set(column.drop_nulls().unique().to_list()) <= {0, 1}:
            return "boolean"
        if (
            dtype.is_integer()
            and unique_enough
            and (_ID_NAME.search(column.name) or column.is_sorted())
        ):
            return "identifier"
        return "numeric"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        if dtype == pl.String and _looks_like_datetime(column):
            return "datetime"
        long_text = (stats.get("mean_length") or 0) >= TEXT_MEAN_LENGTH or (
            stats.get("mean_words") or 0
        ) >= TEXT_MEAN_WORDS
        if long_text:
            return "text"
        if unique_enough:
            return "identifier"
        return "categorical"
    return "categorical"


def _looks_like_datetime(column: pl.Series) -> bool:
    """True when nearly every value of a small sample parses as a date or timestamp."""
    probe = column.drop_nulls().head(DATETIME_PROBE_ROWS)
    if probe.is_empty() or not probe.str.contains(r"^\d{4}-\d{2}-\d{2}").all():
        return False
    parsed = probe.str.to_datetime(strict=False)
    return parsed.is_not_null().mean() >= DATETIME_PARSE_RATIO


def _set_top_values(profile: ColumnProfile, found: list[dict[str, Any]], non_null: int) -> None:
    """Set the most frequent values, counted among `non_null` values, and the mode's share."""
    profile.top_values = found
    top = found[0]["count"] if found else 0
    profile.statistics["mode_ratio"] = top / non_null if non_null else None
