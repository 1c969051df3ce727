"""Distinct counts, top values and string statistics of full columns, one counting pass each.

The profile needs, per column, the exact number of distinct values, the most frequent values
(when there are few enough distinct ones to count exactly) and, for text, length and word
statistics. Asking polars for each separately hashes every string and integer column two or
three times (`n_unique`, then `value_counts`, then a regex over every row). Here each column
is counted once, by its kind:

- text: one `value_counts`; the string statistics are then computed over the distinct values,
  weighted by their counts (the same means, on far fewer strings). A text column that already
  has more distinct values in the sample than get exact top values (an identifier) is only
  `n_unique`d, with its statistics over the rows: a `value_counts` would materialize every
  distinct string, about as many as rows;
- integers in a compact range and booleans: one `np.bincount` (no hashing at all);
- everything else (floats, datetimes, wide-ranged integers): polars `n_unique`, in one batched
  `select`, plus `value_counts` only for the rare such column with few distinct values.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

TOP_VALUES = 5
#: Columns with more distinct values than this get their top values from the sample.
EXACT_TOP_VALUES_MAX_DISTINCT = 10_000
#: Integer columns whose range is at most this many times the row count are bincounted.
BINCOUNT_RANGE_PER_ROW = 4


@dataclass
class ColumnCounts:
    """What one counting pass over a full column found (missing values excluded)."""

    distinct: int
    #: `[{"value": v, "count": n}, ...]`, most frequent first; None when not counted exactly.
    top_values: list[dict[str, Any]] | None = None
    statistics: dict[str, Any] = field(default_factory=dict)


def count_columns(df: pl.DataFrame, sample: pl.DataFrame) -> dict[str, ColumnCounts]:
    """ColumnCounts of every column of `df`; `sample` (a row sample of it) tells which text
    columns have too many distinct values to count them by value.

    The polars work is batched in two `select`s (value counts of text; distinct counts and
    row-wise text statistics of the rest), which polars runs column-parallel.
    """
    counted: dict[str, ColumnCounts] = {}
    by_value: list[str] = []
    hashed: list[str] = []
    row_statistics: list[str] = []
    for name, dtype in df.schema.items():
        column = df[name]
        text = dtype == pl.String or dtype == pl.Categorical or isinstance(dtype, pl.Enum)
        if text and sample[name].n_unique() > EXACT_TOP_VALUES_MAX_DISTINCT:
            hashed.append(name)
            if dtype == pl.String:
                row_statistics.append(name)
        elif text:
            by_value.append(name)
        elif dtype == pl.Boolean:
            counted[name] = _count_boolean(column)
        elif dtype.is_integer() and (found := _bincount_integers(column)) is not None:
            counted[name] = found
        else:
            hashed.append(name)
    if by_value:
        lists = df.select(
            pl.col(n).drop_nulls().value_counts(name="count").implode() for n in by_value
        )
        for name in by_value:
            counts = _unnest(lists[name])
            counted[name] = _count_text(counts, name, with_statistics=df[name].dtype == pl.String)
    if hashed:
        exprs = [pl.col(n).drop_nulls().n_unique().alias(f"{n}\0distinct") for n in hashed]
        for n in row_statistics:
            text = pl.col(n)
            exprs += [
                text.str.len_chars().mean().alias(f"{n}\0mean_length"),
                text.str.len_chars().max().alias(f"{n}\0max_length"),
                (text.str.count_matches(r"\s+") + 1).mean().alias(f"{n}\0mean_words"),
            ]
        found = df.select(exprs).row(0, named=True)
        exact = []
        for name in hashed:
            counts = counted[name] = ColumnCounts(int(found[f"{name}\0distinct"]))
            if name in row_statistics:
                counts.statistics = {
                    key: found[f"{name}\0{key}"]
                    for key in ("mean_length", "max_length", "mean_words")
                }
            if counts.distinct <= EXACT_TOP_VALUES_MAX_DISTINCT:
                exact.append(name)
        for name, values in top_values(df, exact).items():
            counted[name].top_values = values
    return counted


def top_values(frame: pl.DataFrame, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The `TOP_VALUES` most frequent non-missing values of each column, with their counts,
    in one `select`."""
    if not names:
        return {}
    lists = frame.select(
        pl.col(n).drop_nulls().value_counts(sort=True, name="count").head(TOP_VALUES).implode()
        for n in names
    )
    return {n: [{"value": v, "count": c} for v, c in _unnest(lists[n]).iter_rows()] for n in names}


def _unnest(imploded: pl.Series) -> pl.DataFrame:
    """The (value, count) frame of a one-row `value_counts(...).implode()` column."""
    if imploded.list.len()[0] == 0:  # exploding an empty list would give one null row
        return pl.DataFrame(
            schema={imploded.name: imploded.dtype.inner.fields[0].dtype, "count": pl.UInt32}
        )
    return imploded.explode().struct.unnest()


def _count_text(counts: pl.DataFrame, name: str, with_statistics: bool) -> ColumnCounts:
    found = ColumnCounts(counts.height)
    if found.distinct <= EXACT_TOP_VALUES_MAX_DISTINCT:
        ordered = counts.sort("count", descending=True, maintain_order=True).head(TOP_VALUES)
        found.top_values = [{"value": v, "count": n} for v, n in ordered.iter_rows()]
    if with_statistics:
        found.statistics = _text_statistics(counts, name)
    return found


def _text_statistics(counts: pl.DataFrame, name: str) -> dict[str, Any]:
    """Mean and max length and mean word count over the rows, from the distinct values."""
    text, weight = pl.col(name), pl.col("count")
    rows = pl.col("count").sum()
    length = text.str.len_chars().cast(pl.Float64)  # times a count: no UInt32 overflow
    words = text.str.count_matches(r"\s+").cast(pl.Float64) + 1
    stats = counts.select(
        ((length * weight).sum() / rows).alias("mean_length"),
        text.str.len_chars().max().alias("max_length"),
        ((words * weight).sum() / rows).alias("mean_words"),
    ).row(0, named=True)
    if counts.height == 0:  # polars gives 0 / 0 = NaN here, a plain mean over no rows None
        stats["mean_length"] = stats["mean_words"] = None
    return stats


def _count_boolean(column: pl.Series) -> ColumnCounts:
    trues = int(column.sum() or 0)
    falses = column.len() - column.null_count() - trues
    present = [(v, n) for v, n in ((True, trues), (False, falses)) if n]
    present.sort(key=lambda item: item[1], reverse=True)
    return ColumnCounts(len(present), [{"value": v, "count": n} for v, n in present])


def _bincount_integers(column: pl.Series) -> ColumnCounts | None:
    """Counts by `np.bincount` over `value - min`, or None when the range is too wide."""
    values = column.drop_nulls().to_numpy()
    if values.size == 0:
        return ColumnCounts(0, [])
    low, high = int(values.min()), int(values.max())
    if high - low > BINCOUNT_RANGE_PER_ROW * values.size:
        return None
    counts = np.bincount((values - low).astype(np.intp))
    found = ColumnCounts(int(np.count_nonzero(counts)))
    if found.distinct <= EXACT_TOP_VALUES_MAX_DISTINCT:
        top = np.argsort(-counts, kind="stable")[: min(TOP_VALUES, found.distinct)]
        found.top_values = [{"value": int(low + i), "count": int(counts[i])} for i in top.tolist()]
    return found
