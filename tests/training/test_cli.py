"""`maestro train`, `maestro features discover` and `maestro card` against a live server."""

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from maestro.cli import app
from tests.training.conftest import csv_bytes, upload


def test_train_with_wait_features_discover_and_card_from_the_command_line(
    server, tenant, owner, small_csv: bytes, tmp_path: Path
):
    dataset_id = upload(owner, small_csv, "small")
    runner = CliRunner(env={"MAESTRO_URL": server.url, "MAESTRO_API_KEY": tenant.owner_key})

    trained = runner.invoke(
        app,
        [
            "train", "--dataset", dataset_id, "--target", "churned",
            "--algorithm", "random_forest", "--param", "n_estimators=10",
            "--param", "max_depth=4", "--feature", "age", "--feature", "income",
            "--feature", "plan", "--register-as", "cli-churn", "--wait",
        ],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "succeeded:" in trained.output and "registered cli-churn version 1" in trained.output
    assert "100%" in trained.output  # the progress bar reached the end

    discovered = runner.invoke(
        app, ["features", "discover", dataset_id, "--target", "churned", "--wait"]
    )
    assert discovered.exit_code == 0, discovered.output
    assert '"leakage"' in discovered.output

    out = tmp_path / "card.html"
    carded = runner.invoke(app, ["card", "cli-churn", "1", "--format", "html", "-o", str(out)])
    assert carded.exit_code == 0, carded.output
    assert "Possible target leakage" in out.read_text()
    as_json = runner.invoke(app, ["card", "cli-churn", "latest", "--format", "json"])
    assert json.loads(as_json.output)["model_details"]["name"] == "cli-churn"


def test_a_failed_training_job_exits_1_with_its_reason(server, tenant, owner):
    single = csv_bytes(pl.DataFrame({"x": list(range(50)), "y": ["same"] * 50}))
    dataset_id = upload(owner, single, "single")
    runner = CliRunner(env={"MAESTRO_URL": server.url, "MAESTRO_API_KEY": tenant.owner_key})

    failed = runner.invoke(
        app,
        [
            "train",
            "--dataset",
            dataset_id,
            "--target",
            "y",
            "--algorithm",
            "logistic_regression",
            "--wait",
        ],
    )
    assert failed.exit_code == 1
    assert "failed:" in failed.output and "has a single class" in failed.output
    refused = runner.invoke(
        app, ["train", "--dataset", dataset_id, "--target", "y", "--algorithm", "nope"]
    )
    assert refused.exit_code == 2 and "unknown algorithm 'nope'" in refused.output  # a 422
