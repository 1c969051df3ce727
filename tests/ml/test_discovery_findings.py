"""Feature discovery's findings on the wide mixed dataset, pinned against a recorded report.

`data/discovery_findings.json` holds the findings of `discover` as it stood before its
performance rework: speeding a stage up must not change what it reports. Counts and types must
match exactly, floating-point figures to a relative 1e-6 (summation order may differ), rankings
in order. Rewrite the file (only when a finding is meant to change) with
`python -m tests.ml.test_discovery_findings`.
"""

import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from maestro.ml.discovery import DiscoveryReport, discover

GOLDEN = Path(__file__).parent / "data" / "discovery_findings.json"
#: Below the dataset's 40,000 rows, so the sampled paths (quantiles, rare top values) run too.
SAMPLE_ROWS = 15_000
TOP_RANKED = 12
TOP_CANDIDATES = 10
TOP_VALUES = 5
RELATIVE = 1e-6


def findings(report: DiscoveryReport) -> dict[str, Any]:
    """What a user reads in a report, without timings."""
    return {
        "rows": report.rows,
        "sampled_rows": report.sampled_rows,
        "duplicate_rows": report.duplicate_rows,
        "task": report.task,
        "profiles": {
            p.name: {
                "dtype": p.dtype,
                "semantic_type": p.semantic_type,
                "missing_count": p.missing_count,
                "distinct_count": p.distinct_count,
                "statistics": p.statistics,
                "top_counts": [v["count"] for v in p.top_values],
                "top_values": [v["value"] for v in p.top_values],
            }
            for p in report.profiles
        },
        "alerts": [[a.type, a.columns, a.value] for a in report.alerts],
        "relevance": [
            [r.feature, r.mutual_information, r.correlation, r.anova_f, r.anova_p]
            for r in report.relevance[:TOP_RANKED]
        ],
        "leakage": [[s.feature, s.metric, s.score] for s in report.leakage],
        "suggestions": [[s.column, s.transformation] for s in report.suggestions],
        "candidates": [[c.name, c.gain] for c in report.candidates[:TOP_CANDIDATES]],
        "notes": report.notes,
    }


def run(dataset: pl.DataFrame) -> dict[str, Any]:
    """Findings for a binary target and for a numeric (regression) one, as JSON values."""
    return json.loads(
        json.dumps(
            {
                "binary": findings(discover(dataset, "target", max_sample_rows=SAMPLE_ROWS)),
                "regression": findings(
                    discover(dataset.drop("target"), "num_1", max_sample_rows=SAMPLE_ROWS)
                ),
            },
            default=str,
        )
    )


@pytest.fixture(scope="module")
def found(wide_dataset: pl.DataFrame) -> dict[str, Any]:
    return run(wide_dataset)


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text())


def assert_close(actual: Any, expected: Any, where: str) -> None:
    """Equal structure; floats to a relative `RELATIVE`, everything else exactly."""
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(actual, float) and math.isnan(actual), f"{where}: {actual} is not NaN"
    elif isinstance(expected, float) and isinstance(actual, int | float):
        assert math.isclose(actual, expected, rel_tol=RELATIVE, abs_tol=1e-12), (
            f"{where}: {actual} != {expected}"
        )
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), (
            f"{where}: keys {sorted(actual)} != {sorted(expected)}"
        )
        for key in expected:
            assert_close(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{where}: {actual} != {expected}"
        )
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


@pytest.mark.parametrize("case", ["binary", "regression"])
def test_column_summaries_match_the_recorded_report(found, recorded, case):
    for name, expected in recorded[case]["profiles"].items():
        actual = dict(found[case]["profiles"][name])
        # Values tied in count may come in either order, and a value tied with the last one
        # kept may replace it; the counts themselves may not differ.
        ties = _tied_counts(expected["top_counts"])
        assert _untied(actual.pop("top_values"), actual["top_counts"], ties) == _untied(
            expected["top_values"], expected["top_counts"], ties
        ), f"{case}.{name}.top_values"
        expected = {k: v for k, v in expected.items() if k != "top_values"}
        assert_close(actual, expected, f"{case}.{name}")


def _tied_counts(counts: list[int]) -> set[int]:
    tied = {c for c in counts if counts.count(c) > 1}
    if len(counts) == TOP_VALUES:  # the last count kept may tie with a value left out
        tied.add(counts[-1])
    return tied


def _untied(values: list[Any], counts: list[int], ties: set[int]) -> set[Any]:
    return {v for v, c in zip(values, counts, strict=True) if c not in ties}


@pytest.mark.parametrize("case", ["binary", "regression"])
def test_leakage_identifiers_alerts_and_suggestions_match(found, recorded, case):
    for key in ("rows", "sampled_rows", "duplicate_rows", "task", "notes", "suggestions"):
        assert found[case][key] == recorded[case][key], key
    assert_close(found[case]["leakage"], recorded[case]["leakage"], f"{case}.leakage")
    assert_close(found[case]["alerts"], recorded[case]["alerts"], f"{case}.alerts")


def test_the_binary_target_findings_are_the_expected_ones(found):
    """The recorded report itself is right: the leak, both identifiers, the real signal."""
    binary = found["binary"]
    assert [s[0] for s in binary["leakage"]] == ["leak"]
    identifiers = [a[1] for a in binary["alerts"] if a[0] == "identifier_like"]
    assert identifiers == [["row_id"], ["customer_ref"]]
    ranked = [r[0] for r in binary["relevance"]]
    assert ranked[0] == "leak" and set(ranked[1:4]) == {"num_1", "skewed_0", "int_0"}


@pytest.mark.parametrize("case", ["binary", "regression"])
def test_relevance_ranking_and_candidates_match(found, recorded, case):
    assert_close(found[case]["relevance"], recorded[case]["relevance"], f"{case}.relevance")
    assert_close(found[case]["candidates"], recorded[case]["candidates"], f"{case}.candidates")


if __name__ == "__main__":
    from tests.ml.conftest import make_wide_dataset

    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(run(make_wide_dataset()), indent=1) + "\n")
    print(f"wrote {GOLDEN}")


@pytest.mark.parametrize("case", ["binary", "regression"])
def test_the_modes_share_is_a_share_of_the_non_missing_values(found, case):
    """Counted in the sample, it is a share of the sample's own non-missing values (it once
    subtracted the whole frame's missing count from the sample size and went negative)."""
    for name, profile in found[case]["profiles"].items():
        ratio = profile["statistics"].get("mode_ratio")
        assert ratio is None or 0.0 <= ratio <= 1.0, (name, ratio)
