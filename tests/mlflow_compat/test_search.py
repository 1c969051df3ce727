"""MLflow filter strings and order-by clauses as MLflow users write them."""

import pytest

from maestro.mlflow_compat import search
from maestro.mlflow_compat.errors import MlflowError

RUNS = [
    {
        "attributes": {"status": "FINISHED", "run_name": "a", "start_time": 3},
        "metrics": {"acc": 0.9, "loss": 0.2},
        "params": {"solver": "lbfgs", "C": "1.0"},
        "tags": {"team": "growth"},
    },
    {
        "attributes": {"status": "FAILED", "run_name": "b", "start_time": 2},
        "metrics": {"acc": 0.4},
        "params": {"solver": "saga"},
        "tags": {"team": "risk", "my tag": "x"},
    },
    {
        "attributes": {"status": "FINISHED", "run_name": "c", "start_time": 1},
        "metrics": {},
        "params": {"solver": "lbfgs"},
        "tags": {},
    },
]


def names(filter_string: str, order_by: list[str] | None = None) -> list[str]:
    clauses = search.parse_filter(filter_string)
    orders = search.parse_order_by(order_by or [])
    found = [r for r in RUNS if search.matches(clauses, search.lookup_in(r))]
    found.sort(key=lambda r: search.sort_key(orders, search.lookup_in(r)))
    return [r["attributes"]["run_name"] for r in found]


def test_metric_param_tag_and_attribute_clauses_joined_with_and_all_apply():
    text = "metrics.acc > 0.5 and params.solver = 'lbfgs' AND tags.team = \"growth\""
    assert names(text) == ["a"]
    assert names("attributes.status = 'FINISHED'") == ["a", "c"]
    assert names("status != 'FINISHED'") == ["b"]


def test_like_in_and_quoted_keys_match_as_in_mlflow():
    assert names("params.solver LIKE 'lb%'") == ["a", "c"]
    assert names("tags.team ILIKE 'GRO%'") == ["a"]
    assert names("params.solver IN ('saga', 'newton')") == ["b"]
    assert names("params.solver NOT IN ('saga')") == ["a", "c"]
    assert names("tags.`my tag` = 'x'") == ["b"]


def test_a_run_without_the_metric_never_matches_a_metric_clause():
    assert names("metrics.acc <= 1") == ["a", "b"]


def test_order_by_puts_runs_without_the_value_last_in_either_direction():
    assert names("", ["metrics.acc DESC"]) == ["a", "b", "c"]
    assert names("", ["metrics.acc ASC"]) == ["b", "a", "c"]
    assert names("", ["attributes.start_time"]) == ["c", "b", "a"]


@pytest.mark.parametrize(
    "bad",
    [
        "metrics.acc > 'high'",
        "params.solver = 3",
        "metrics.acc > 0.5 OR params.solver = 'x'",
        "nonsense.key = 'x'",
        "metrics.acc >",
        "params.solver = 'unterminated",
    ],
)
def test_a_filter_that_does_not_parse_is_invalid_parameter_value(bad):
    with pytest.raises(MlflowError) as error:
        search.parse_filter(bad)
    assert error.value.error_code == "INVALID_PARAMETER_VALUE"
