"""Model cards of any registered version: human sections are validated, stored per version,
escaped in HTML, and isolated per tenant; a card without a training job still renders."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from maestro.client import MaestroClient, NotFoundError, PermissionDeniedError, ValidationError
from maestro.ml.serialization import dump_model


@pytest.fixture
def uploaded(owner: MaestroClient) -> str:
    """An uploaded (not platform-trained) version with metrics in its metadata."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    model = LogisticRegression().fit(x, x[:, 0] > 0)
    owner.create_model("uploaded", description="A hand-made classifier")
    owner.upload_version(
        "uploaded",
        dump_model(model),
        format="skops",
        metadata={"framework": "scikit-learn", "metrics": {"accuracy": 0.91}},
    )
    return "uploaded"


def test_human_sections_fill_the_card_and_the_completeness_report(owner, uploaded):
    empty = json.loads(owner.get_card(uploaded, 1, "json"))
    assert empty["model_details"]["overview"] == "A hand-made classifier"
    missing = set(empty["completeness"]["empty_sections"])
    assert {"intended_use", "ethical_considerations"} <= missing
    assert empty["quantitative_analysis"]["performance_metrics"] == [
        {"type": "accuracy", "value": "0.9100"}
    ]

    stored = owner.put_card(
        uploaded,
        "latest",
        primary_uses=["Triage"],
        out_of_scope="Medical decisions",
        ethical_considerations=["Reviewed by the ethics board"],
        caveats="<script>alert('x')</script>",
    )
    assert stored["sections"]["primary_uses"] == ["Triage"]
    assert "intended_use" not in stored["completeness"]["empty_sections"]
    assert "ethical_considerations" not in stored["completeness"]["empty_sections"]

    html = owner.get_card(uploaded, 1, "html")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    markdown = owner.get_card(uploaded, 1, "markdown")
    assert "Medical decisions" in markdown and "<script>" not in markdown


@pytest.mark.parametrize(
    "body",
    [
        {"intended_use": "unknown field"},
        {"caveats": 42},
        {"caveats": "x" * 10_001},
        {"factors": ["ok"] * 51},
    ],
)
def test_invalid_sections_are_refused(owner, uploaded, body):
    with pytest.raises(ValidationError):
        owner.request("PUT", f"/models/{uploaded}/versions/1/card", json=body)


def test_cards_are_tenant_private_and_viewers_cannot_write_them(
    owner, uploaded, make_tenant, admin
):
    other = make_tenant()
    with other.client() as stranger, pytest.raises(NotFoundError):
        stranger.get_card(uploaded, 1)
    tenant_slug = owner.me()["tenant"]
    viewer = admin.create_user(tenant_slug, "viewer", "viewer")
    key = admin.create_api_key(viewer["id"], "read")["key"]
    with other.client(key) as reader:
        assert "A hand-made classifier" in reader.get_card(uploaded, 1)
        with pytest.raises(PermissionDeniedError):
            reader.put_card(uploaded, 1, caveats="nope")
    with pytest.raises(NotFoundError):
        owner.get_card(uploaded, 2)
