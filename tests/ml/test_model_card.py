"""Model cards from a real training run and discovery report, in all three formats."""

import json

import polars as pl
import pytest
import yaml

from maestro.ml.discovery import discover
from maestro.ml.model_card import HUMAN_FIELDS, SECTIONS, build_card, completeness, render
from maestro.ml.training import train

HUMAN = {
    "owners": ["retention-team"],
    "primary_uses": "Rank customers by churn risk for retention offers.",
    "ethical_considerations": ["Income is a proxy for protected attributes; monitor slices."],
    "recommendations": "Retrain monthly.",
}


@pytest.fixture(scope="module")
def inputs(dataset: pl.DataFrame):
    """Train with the leaky column left in, as a careless user would."""
    frame = dataset.drop("customer_id").head(2_000)
    result = train(frame, "churned", "logistic_regression", evaluation_slices=["plan"])
    training = result.to_dict() | {"test_size": 0.2, "seed": 0, "evaluation_slices": ["plan"]}
    return {
        "model": {"name": "churn", "description": "Churn <script>alert('x')</script> model"},
        "version": {"version": 3, "created_at": "2026-11-26T12:00:00Z", "sha256": "ab" * 32},
        "training": training,
        "dataset": {"id": "ds-1", "name": "customers.csv", "rows": 2_000},
        "discovery": discover(frame, "churned").to_dict(),
    }


@pytest.fixture(scope="module")
def card(inputs):
    return build_card(**inputs, human=HUMAN)


def test_markdown_has_hugging_face_front_matter_with_real_metrics(card, inputs):
    text = render(card, "markdown")

    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    result = meta["model-index"][0]["results"][0]
    accuracy = next(m for m in result["metrics"] if m["type"] == "accuracy")
    assert accuracy["value"] == inputs["training"]["metrics"]["accuracy"]
    assert result["task"]["type"] == "tabular-classification"
    assert meta["datasets"] == ["customers.csv"]
    assert "## Quantitative analyses" in body and "| plan | premium |" in body
    assert "Possible target leakage: outcome_code" in body
    assert "&lt;script&gt;" in body and "<script>" not in body


def test_html_is_self_contained_escaped_and_complete(card, inputs):
    html = render(card, "html")

    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "http" not in html.split("<body>")[0]  # no external stylesheet or script
    assert f"{inputs['training']['metrics']['roc_auc']:.4f}" in html
    assert "Possible target leakage: outcome_code" in html
    for section in ("Model details", "Intended use", "Factors", "Ethical considerations"):
        assert f">{section}</h2>" in html


def test_json_uses_model_card_toolkit_field_names(card, inputs):
    data = json.loads(render(card, "json"))

    assert set(data) == {
        "schema_version",
        "model_details",
        "model_parameters",
        "quantitative_analysis",
        "considerations",
    }
    assert data["model_details"]["version"]["name"] == "3"
    metrics = {
        m["type"]: m["value"]
        for m in data["quantitative_analysis"]["performance_metrics"]
        if "slice" not in m
    }
    assert metrics["accuracy"] == f"{inputs['training']['metrics']['accuracy']:.4f}"
    assert any("slice" in m for m in data["quantitative_analysis"]["performance_metrics"])
    limitations = [x["description"] for x in data["considerations"]["limitations"]]
    assert any("outcome_code" in text for text in limitations)


def test_completeness_names_the_empty_sections(inputs):
    full = build_card(**inputs, human=HUMAN)
    bare = build_card({"name": "m"}, {"version": 1}, None, None, None, {})

    assert completeness(full) == []
    assert completeness(bare) == list(SECTIONS)
    assert "Sections still empty: model_details" in render(bare, "markdown")


def test_human_sections_fill_the_card(inputs):
    human = {name: f"written {name}" for name in HUMAN_FIELDS}

    card = build_card(**inputs, human=human)

    assert card.intended_use.out_of_scope == ["written out_of_scope"]
    assert card.model_details.description == "written description"
    assert "written caveats" in card.caveats_and_recommendations.caveats


def test_unknown_format_is_refused(card):
    with pytest.raises(ValueError, match="unknown card format"):
        render(card, "pdf")
