"""Shared data for the ML tests: one realistic, generated dataset with known structure."""

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

ROWS = 5_000


def make_dataset(rows: int = ROWS, seed: int = 7) -> pl.DataFrame:
    """Mixed-type frame whose target depends on `income`, `age` and `plan` only.

    `customer_id` is an identifier, `outcome_code` leaks the target, `noise_*` are pure noise,
    and `income`/`plan` have missing values.
    """
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, rows)
    income = rng.lognormal(10, 0.6, rows)
    plan = rng.choice(["basic", "plus", "premium"], rows, p=[0.5, 0.3, 0.2])
    plan_effect = np.select([plan == "basic", plan == "plus"], [-1.0, 0.0], 1.5)
    logit = 1.6 * (np.log(income) - 10) / 0.6 + 0.05 * (age - 48) + plan_effect
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    income_missing = rng.random(rows) < 0.1
    plan_missing = rng.random(rows) < 0.05
    start = datetime(2023, 1, 1)
    return pl.DataFrame(
        {
            "customer_id": [f"C{100000 + i}" for i in range(rows)],
            "age": age,
            "income": np.where(income_missing, None, income).tolist(),
            "plan": np.where(plan_missing, None, plan).tolist(),
            "is_member": rng.random(rows) < 0.4,
            "signup": [start + timedelta(hours=int(h)) for h in rng.integers(0, 8760, rows)],
            "noise_a": rng.normal(size=rows),
            "noise_b": rng.uniform(size=rows),
            "noise_cat": rng.choice(["x", "y", "z", "w"], rows),
            "outcome_code": np.where(churned, "CLOSED", "ACTIVE"),
            "spend": income * 0.1 + rng.normal(0, 200, rows),
            "churned": churned,
        },
        schema_overrides={"income": pl.Float64, "plan": pl.String},
    )


@pytest.fixture(scope="session")
def dataset() -> pl.DataFrame:
    return make_dataset()


@pytest.fixture(scope="session")
def clean_dataset(dataset: pl.DataFrame) -> pl.DataFrame:
    """The dataset without its leaky and identifier columns, as a careful user would train."""
    return dataset.drop("outcome_code", "customer_id")


def make_wide_dataset(rows: int = 40_000, seed: int = 11) -> pl.DataFrame:
    """The feature-discovery benchmark's column mix at test size: numeric, skewed, 40 % missing,
    integer, categorical from 3 to 5,000 levels, boolean, datetime, a sorted integer and a string
    identifier, a constant, a near-duplicate, and `leak` (the target spelled out); the binary
    `target` depends on `num_1`, `skewed_0` and `int_0`."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {"row_id": np.arange(rows)}
    for i in range(6):
        cols[f"num_{i}"] = rng.normal(i, 1 + i % 3, rows)
    for i in range(3):
        cols[f"skewed_{i}"] = rng.lognormal(3, 1, rows)
    for i in range(2):
        values = pl.Series(rng.normal(size=rows))
        cols[f"sparse_{i}"] = values.set(pl.Series(rng.random(rows) < 0.4), None)
    for i in range(2):
        cols[f"int_{i}"] = rng.integers(0, 100 * (i + 1), rows)
    for i, levels in enumerate((3, 12, 50, 1_000, 5_000)):
        cols[f"cat_{i}"] = pl.Series(rng.integers(0, levels, rows)).cast(pl.String)
    cols["cat_sparse"] = pl.Series(rng.choice(["a", "b", "c"], rows)).set(
        pl.Series(rng.random(rows) < 0.2), None
    )
    for i in range(2):
        cols[f"flag_{i}"] = rng.random(rows) < 0.3 + 0.2 * i
    base = int(datetime(2020, 1, 1).timestamp())
    cols["ts_0"] = pl.from_epoch(pl.Series(base + rng.integers(0, 4 * 365 * 86400, rows)))
    cols["day"] = pl.Series(rng.integers(0, 1_000, rows)).cast(pl.Date)
    cols["constant"] = np.ones(rows)
    cols["near_dup"] = cols["num_0"] + rng.normal(0, 0.01, rows)
    cols["customer_ref"] = pl.Series(rng.permutation(rows)).cast(pl.String).str.pad_start(9, "X")
    logit = 0.8 * cols["num_1"] - 0.5 * np.log(cols["skewed_0"]) + (cols["int_0"] > 50)
    target = rng.random(rows) < 1 / (1 + np.exp(-(logit - logit.mean())))
    cols["leak"] = np.where(target, "closed", "open")
    cols["target"] = target
    return pl.DataFrame(cols)


@pytest.fixture(scope="session")
def wide_dataset() -> pl.DataFrame:
    return make_wide_dataset()
