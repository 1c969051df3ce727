"""Drift computation: PSI on fixed reference bins, Jensen-Shannon on categories, Evidently's
thresholds."""

import numpy as np
import polars as pl

from maestro.ml import drift


def frame(rows: int, seed: int, *, shift: float = 0.0, premium: float = 0.2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    plans = rng.choice(["basic", "plus", "premium"], rows, p=[0.8 - premium, 0.2, premium])
    return pl.DataFrame(
        {
            "income": rng.normal(50_000 + shift * 10_000, 10_000, rows),
            "age": rng.integers(18, 80, rows),
            "plan": plans,
        }
    )


def test_a_sample_of_the_same_distribution_flags_nothing():
    report = drift.compare(frame(20_000, 1), frame(1_000, 2))
    assert report.drifted == []
    assert not report.dataset_drift
    assert all(f.score < 0.05 for f in report.features)


def test_a_shifted_numeric_column_is_flagged_by_psi_and_only_it():
    report = drift.compare(frame(20_000, 1), frame(1_000, 2, shift=1.0))
    assert report.drifted == ["income"]
    income = report.features[0]
    assert (income.method, income.threshold) == ("psi", 0.1)
    assert income.score >= 0.1


def test_a_changed_category_mix_is_flagged_by_jensen_shannon():
    report = drift.compare(frame(20_000, 1), frame(1_000, 2, premium=0.6))
    plan = next(f for f in report.features if f.column == "plan")
    assert (plan.kind, plan.method, plan.drifted) == ("categorical", "jensenshannon", True)
    assert report.drifted == ["plan"]


def test_bins_come_from_the_reference_so_values_beyond_it_fall_in_the_outer_bins():
    reference = pl.Series("x", np.arange(1_000, dtype=float))
    far_away = pl.Series("x", np.full(500, 1e9))
    result = drift.compare_column("x", reference, far_away)
    # Every live value lands in the top decile: PSI is large, and finite.
    assert result.drifted and np.isfinite(result.score) and result.score > 1.0
    assert drift.compare_column("x", reference, reference).score == 0.0


def test_more_missing_values_in_a_numeric_column_is_drift():
    reference = pl.Series("x", np.random.default_rng(0).normal(size=5_000))
    current = pl.Series("x", [None] * 300 + list(np.random.default_rng(1).normal(size=700)))
    assert drift.compare_column("x", reference, current).drifted


def test_a_numeric_column_with_few_values_is_compared_as_categories():
    reference = pl.Series("rooms", np.random.default_rng(0).integers(1, 6, 5_000))
    assert drift.compare_column("rooms", reference, reference.head(500)).method == "jensenshannon"


def test_the_dataset_drifts_when_at_least_half_of_the_features_do():
    reference = frame(20_000, 1)
    current = frame(1_000, 2, shift=1.0, premium=0.6)  # income and plan of three columns
    report = drift.compare(reference, current)
    assert report.drifted == ["income", "plan"]
    assert report.drift_share == 2 / 3 and report.dataset_drift


def test_prediction_drift_is_reported_beside_the_features():
    report = drift.compare(
        frame(5_000, 1),
        frame(1_000, 2),
        reference_predictions=pl.Series([0] * 4_000 + [1] * 1_000),
        current_predictions=pl.Series([0] * 500 + [1] * 500),
        prediction_kind="categorical",
    )
    assert report.prediction is not None and report.prediction.drifted
    assert report.drifted == []
