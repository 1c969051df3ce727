"""`maestro experiments ...` and `maestro datasets ...` against a live server."""

import json

from typer.testing import CliRunner

from maestro.cli import app


def test_experiment_and_dataset_commands(tenant, owner, tmp_path):
    runner = CliRunner()
    env = {"MAESTRO_URL": tenant.url, "MAESTRO_API_KEY": tenant.owner_key}

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.stdout

    create = ("experiments", "create", "cli-run", "--group", "g")
    created = json.loads(run(*create, "--param", "depth=3", "--tag", "a=b"))
    assert created["params"] == {"depth": 3} and created["tags"] == {"a": "b"}
    run("experiments", "log-metric", created["id"], "loss", "0.25", "--step", "4")
    finished = json.loads(run("experiments", "finish", created["id"], "--status", "failed"))
    assert finished["status"] == "failed"
    history = json.loads(run("experiments", "metrics", created["id"]))
    assert [(p["name"], p["value"], p["step"]) for p in history] == [("loss", 0.25, 4)]
    assert "cli-run" in run("experiments", "list", "--group", "g")
    again = runner.invoke(app, ["experiments", "finish", created["id"]], env=env)
    assert again.exit_code == 1 and "conflict" in again.output

    path = tmp_path / "table.csv"
    path.write_bytes(b"a,b\n" + b"1,x\n" * 1000)
    uploaded = json.loads(run("datasets", "upload", str(path), "--name", "table", "-o", "json"))
    assert uploaded["rows"] == 1000 and uploaded["size_bytes"] == path.stat().st_size
    assert "table" in run("datasets", "list")
    assert json.loads(run("datasets", "get", uploaded["id"]))["preview"][0] == {"a": 1, "b": "x"}
    run("datasets", "delete", uploaded["id"])
    assert owner.list_datasets() == []

    # The progress bar follows the bytes httpx actually reads while streaming the body.
    sent: list[int] = []
    owner.upload_dataset(path, "tracked", progress=sent.append)
    assert sum(sent) == path.stat().st_size
