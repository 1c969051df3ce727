"""`maestro health`: logging rate, reference, feedback, performance and drift from the shell."""

import json

from typer.testing import CliRunner

from maestro.cli import app
from tests.model_health.conftest import generated, instances


def test_health_cli_round_trip(server, tenant, owner, trained_model, tmp_path):
    runner = CliRunner(env={"MAESTRO_URL": server.url, "MAESTRO_API_KEY": tenant.owner_key})

    def run(*args: str) -> str:
        result = runner.invoke(app, ["health", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert json.loads(run("logging", "scorer", "--rate", "1"))["log_sample_rate"] == 1.0
    reference = json.loads(run("reference", "scorer", "latest"))
    assert reference["dataset_id"] == trained_model["dataset_id"]
    assert "no drift run for scorer yet" in run("drift", "scorer")

    response = owner.predict("scorer", instances(generated(300, seed=2)))
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({pid: 1 for pid in response["prediction_ids"]}))
    assert json.loads(run("feedback", "scorer", f"@{labels}"))["accepted"] == 300
    windows = json.loads(run("performance", "scorer"))["windows"]
    assert windows[0]["labelled"] == 300

    latest = json.loads(run("drift", "scorer", "--run", "--timeout", "120"))
    assert latest["status"] == "completed" and latest["current_rows"] == 300
    assert json.loads(run("drift", "scorer"))["id"] == latest["id"]
    assert json.loads(run("logging", "scorer", "--off"))["log_sample_rate"] == 0.0

    missing = runner.invoke(app, ["health", "performance", "nope"])
    assert missing.exit_code == 1 and "not_found" in missing.output
