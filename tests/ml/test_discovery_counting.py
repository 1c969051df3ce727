"""One counting pass per column gives what polars' n_unique, value_counts and string
expressions give, whatever the column's kind takes as its path."""

import numpy as np
import polars as pl
import pytest

from maestro.ml.discovery.counting import EXACT_TOP_VALUES_MAX_DISTINCT, count_columns

ROWS = 3_000


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    rng = np.random.default_rng(3)
    missing = pl.Series(rng.random(ROWS) < 0.2)
    return pl.DataFrame(
        {
            "small_ints": rng.integers(-50, 50, ROWS),
            "ints_with_nulls": pl.Series(rng.integers(0, 7, ROWS)).set(missing, None),
            "wide_ints": rng.integers(-(2**40), 2**40, ROWS),
            "bytes": pl.Series(rng.integers(0, 256, ROWS), dtype=pl.UInt8),
            "flags": pl.Series(rng.random(ROWS) < 0.3).set(missing, None),
            "all_true": np.ones(ROWS, dtype=bool),
            "floats": rng.normal(size=ROWS),
            "words": pl.Series(rng.choice(["", "a b", "ünï  cödé", "x\ty z"], ROWS)).set(
                missing, None
            ),
            "unique_text": [f"row {i}" for i in range(ROWS)],
            "levels": pl.Series(rng.choice(["lo", "mid", "hi"], ROWS), dtype=pl.Categorical),
            "empty": pl.Series([None] * ROWS, dtype=pl.String),
        }
    )


@pytest.fixture(scope="module")
def counted(frame: pl.DataFrame):
    return count_columns(frame, frame)


def test_distinct_counts_match_polars(frame, counted):
    for name in frame.columns:
        assert counted[name].distinct == frame[name].drop_nulls().n_unique(), name


def test_top_values_are_the_most_frequent_with_their_counts(frame, counted):
    for name in frame.columns:
        found = counted[name].top_values
        if frame[name].drop_nulls().n_unique() > EXACT_TOP_VALUES_MAX_DISTINCT:
            assert found is None, name
            continue
        expected = frame[name].drop_nulls().value_counts(sort=True, name="count")
        counts = expected["count"].to_list()
        assert [v["count"] for v in found] == counts[:5], name
        for v in found:
            assert expected.filter(pl.col(name) == v["value"])["count"].item() == v["count"]


def test_text_statistics_are_the_row_means(frame, counted):
    for name in ("words", "unique_text", "empty"):
        text = pl.col(name)
        expected = frame.select(
            text.str.len_chars().mean().alias("mean_length"),
            text.str.len_chars().max().alias("max_length"),
            (text.str.count_matches(r"\s+") + 1).mean().alias("mean_words"),
        ).row(0, named=True)
        assert counted[name].statistics.keys() == expected.keys()
        for key, value in expected.items():
            found = counted[name].statistics[key]
            assert found == (None if value is None else pytest.approx(value, rel=1e-12)), key


def test_identifier_like_text_is_counted_without_its_values(frame):
    many = pl.DataFrame({"id": [f"{i:07d}" for i in range(EXACT_TOP_VALUES_MAX_DISTINCT + 5)]})

    found = count_columns(many, many)["id"]

    assert found.distinct == many.height and found.top_values is None
    assert found.statistics["mean_length"] == 7
