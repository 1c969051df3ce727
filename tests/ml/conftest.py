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
