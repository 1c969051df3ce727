"""`maestro models`: the registry round trip from the command line."""

import json

from typer.testing import CliRunner

from maestro.cli import app


def test_models_cli_round_trip(server, tenant, trained, tmp_path):
    artifact = tmp_path / "churn.skops"
    artifact.write_bytes(trained.artifact)
    env = {"MAESTRO_URL": server.url, "MAESTRO_API_KEY": tenant.owner_key}
    runner = CliRunner(env=env)

    def run(*args: str) -> str:
        result = runner.invoke(app, ["models", *args])
        assert result.exit_code == 0, result.output
        return result.output

    run("create", "churn", "--description", "churn classifier", "--tag", "team=growth")
    uploaded = json.loads(
        run("upload", "churn", str(artifact), "--metadata", '{"framework": "scikit-learn"}')
    )
    assert uploaded["version"] == 1 and uploaded["format"] == "skops"
    run("alias", "churn", "production", "1")
    assert json.loads(run("deploy", "churn", "production"))["version"] == 1
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps(trained.rows[:3]))
    predicted = json.loads(run("predict", "churn", f"@{rows}"))
    assert predicted["model_version"] == 1 and len(predicted["predictions"]) == 3
    model = json.loads(run("get", "churn"))
    assert model["aliases"] == {"production": 1} and model["tags"] == {"team": "growth"}
    assert [v["version"] for v in json.loads(run("versions", "churn"))] == [1]
    run("undeploy", "churn")
    run("delete", "churn", "--yes")

    missing = runner.invoke(app, ["models", "get", "churn"])
    assert missing.exit_code == 1 and "not_found" in missing.output
