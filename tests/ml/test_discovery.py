"""Feature discovery on the shared generated dataset and on degenerate inputs."""

import json

import numpy as np
import polars as pl
import pytest

from maestro.ml.discovery import STAGES, discover
from maestro.ml.errors import DiscoveryError


@pytest.fixture(scope="module")
def report(dataset: pl.DataFrame):
    return discover(dataset, "churned")


def test_semantic_types_are_recognised(report):
    types = {p.name: p.semantic_type for p in report.profiles}

    assert types["customer_id"] == "identifier"
    assert types["age"] == "numeric"
    assert types["plan"] == "categorical"
    assert types["is_member"] == "boolean"
    assert types["signup"] == "datetime"


def test_profiles_carry_missing_ratio_distinct_count_and_statistics(report):
    income = report.profile("income")

    assert income.missing_ratio == pytest.approx(0.1, abs=0.02)
    assert income.distinct_count > 4_000
    assert income.statistics["p50"] < income.statistics["mean"]
    assert report.profile("plan").top_values[0]["value"] == "basic"


def test_identifier_and_leaky_columns_are_flagged(report):
    assert [a.columns for a in report.alerts_of("identifier_like")] == [["customer_id"]]
    assert [s.feature for s in report.leakage] == ["outcome_code"]
    drops = {s.column: s.reason for s in report.suggestions if s.transformation == "drop"}
    assert drops == {"customer_id": "row identifier", "outcome_code": "suspected target leakage"}


def test_informative_features_rank_above_noise(report):
    rank = {r.feature: r.rank for r in report.relevance}

    worst_informative = max(rank["income"], rank["age"], rank["plan"])
    best_noise = min(rank["noise_a"], rank["noise_b"], rank["noise_cat"], rank["customer_id"])
    assert worst_informative < best_noise
    income = next(r for r in report.relevance if r.feature == "income")
    assert income.correlation > 0.2 and income.anova_p < 1e-6


def test_data_quality_alerts(report):
    kinds = {a.type for a in report.alerts}

    assert {"skewed", "highly_correlated"} <= kinds
    assert ["income", "spend"] in [a.columns for a in report.alerts_of("highly_correlated")]


def test_generated_candidates_are_ranked_by_gain(report):
    gains = [c.gain for c in report.candidates if c.gain is not None]
    kinds = {c.kind for c in report.candidates}

    assert gains == sorted(gains, reverse=True)
    assert {"datetime_part", "log", "ratio", "product"} <= kinds
    log_income = next(c for c in report.candidates if c.name == "log1p_income")
    assert log_income.gain > 0
    assert log_income.expression == 'pl.col("income").log1p()'


def test_stage_callback_reports_each_stage(dataset):
    calls: list[tuple[str, float, bool]] = []

    discover(dataset.head(500), "churned", on_stage=lambda *call: calls.append(call))

    assert [c[0] for c in calls] == list(STAGES)
    assert all(ok and seconds >= 0 for _, seconds, ok in calls)


def test_report_is_json_serializable(report):
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))

    assert data["target"] == "churned" and data["task"] == "classification"
    assert data["rows"] == 5_000


def test_regression_target_and_no_target(dataset):
    regression = discover(dataset, "spend")
    untargeted = discover(dataset, None)

    assert regression.task == "regression"
    assert regression.relevance[0].feature == "income"
    assert untargeted.relevance == [] and untargeted.leakage == []
    assert untargeted.notes and untargeted.candidates


def test_duplicate_rows_are_counted(dataset):
    doubled = pl.concat([dataset.head(100), dataset.head(10)])

    assert discover(doubled, None).duplicate_rows == 10


def test_nested_columns_are_skipped_with_a_note(dataset):
    frame = dataset.head(200).with_columns(pl.lit([1, 2]).alias("tags"))

    report = discover(frame, "churned")

    assert report.columns == dataset.width + 1
    assert "tags" not in {p.name for p in report.profiles}
    assert "column 'tags' of type List(Int64) was not analyzed" in report.notes


def test_missing_target_column_is_a_clear_error(dataset):
    with pytest.raises(DiscoveryError, match="target column 'nope' is not in the dataset"):
        discover(dataset, "nope")


def test_one_row_frame_gives_a_degenerate_but_valid_report(dataset):
    report = discover(dataset.head(1), "churned")

    assert report.rows == 1 and report.relevance == []
    assert "relevance and leakage were skipped" in report.notes[0]
    json.dumps(report.to_dict(), allow_nan=False)


def test_all_null_and_ten_thousand_category_columns(dataset):
    rng = np.random.default_rng(0)
    frame = pl.concat([dataset] * 4).with_columns(
        pl.lit(None, dtype=pl.Float64).alias("empty"),
        pl.Series("zip", rng.integers(0, 10_000, 20_000)).cast(pl.String),
    )

    report = discover(frame, "churned")

    assert report.profile("empty").missing_ratio == 1.0
    assert ["empty"] in [a.columns for a in report.alerts_of("many_missing")]
    assert report.profile("zip").distinct_count > 8_000
    assert ["zip"] in [a.columns for a in report.alerts_of("high_cardinality")]
    assert "zip" not in {s.feature for s in report.leakage}
    json.dumps(report.to_dict(), allow_nan=False)


def test_sampling_bounds_the_superlinear_stages(dataset):
    report = discover(dataset, "churned", max_sample_rows=1_000)

    assert report.sampled_rows == 1_000
    assert "outcome_code" in {s.feature for s in report.leakage}
