"""The `maestro` command line against a real `maestro serve` process."""

import json
import subprocess

import httpx
import pytest

from maestro import __version__
from tests.support.processes import MAESTRO, maestro_env, maestro_serve

pytestmark = pytest.mark.slow


def maestro(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAESTRO, *args], env=env, capture_output=True, text=True, timeout=60)


def test_version(tmp_path):
    result = maestro("version", env=maestro_env(tmp_path))
    assert result.returncode == 0 and result.stdout.strip() == __version__


def test_bootstrap_then_administer_over_http_without_leaking_keys(tmp_path):
    data = tmp_path / "data"
    env = maestro_env(data, MAESTRO_LOG_JSON="true")
    bootstrap = maestro("admin", "bootstrap", env=env)
    assert bootstrap.returncode == 0, bootstrap.stderr
    admin_key = bootstrap.stdout.strip().splitlines()[-1]
    assert admin_key.startswith("mst_")
    again = maestro("admin", "bootstrap", env=env)
    assert again.returncode == 1 and "already exists" in again.stderr

    with maestro_serve(data, env=env) as server:
        cli_env = {**env, "MAESTRO_URL": server.url, "MAESTRO_ADMIN_KEY": admin_key}
        tenant = maestro(
            "admin",
            "create-tenant",
            "acme",
            "--name",
            "Acme",
            "--quota",
            "users=3",
            "--rpm",
            "120",
            "--burst",
            "20",
            env=cli_env,
        )
        assert tenant.returncode == 0, tenant.stderr
        assert json.loads(tenant.stdout)["quotas"]["users"] == 3

        user = json.loads(
            maestro("admin", "create-user", "acme", "alice", "--role", "owner", env=cli_env).stdout
        )
        issued = json.loads(maestro("admin", "create-key", user["id"], env=cli_env).stdout)
        user_key = issued["key"]

        me = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {user_key}"})
        assert me.json()["tenant"] == "acme"
        # Places where a key could leak: a bad key, a key in a query string, error bodies.
        wrong = httpx.get(
            f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {user_key}x"}
        )
        in_query = httpx.get(f"{server.url}/api/v1/nowhere", params={"token": user_key})
        duplicate = maestro("admin", "create-tenant", "acme", env=cli_env)
        bob = json.loads(maestro("admin", "create-user", "acme", "bob", env=cli_env).stdout)
        removed = maestro("admin", "delete-user", bob["id"], "--yes", env=cli_env)
        last_owner = maestro("admin", "delete-user", user["id"], "--yes", env=cli_env)
        assert removed.returncode == 0 and "deleted user" in removed.stdout, removed.stderr
        assert last_owner.returncode == 1 and "last enabled owner" in last_owner.stderr

        assert duplicate.returncode == 1 and "conflict" in duplicate.stderr
        metrics = httpx.get(f"{server.url}/metrics").text
        for response in (wrong, in_query):
            assert user_key not in response.text
    output = server.output()

    assert "/api/v1/nowhere" in output  # access logs were written...
    for secret in (admin_key, user_key):
        assert secret not in output  # ...with keys redacted
        assert secret not in metrics


def test_cli_reports_api_errors_cleanly(tmp_path):
    env = maestro_env(tmp_path / "data", MAESTRO_URL="http://127.0.0.1:9")
    result = maestro("admin", "create-tenant", "x", "--admin-key", "mst_whatever", env=env)
    assert result.returncode == 1
    assert "cannot reach" in result.stderr and "Traceback" not in result.stderr


def test_uploads_stream_with_progress_through_the_cli(tmp_path):
    data = tmp_path / "data"
    admin_key = "mst_cli-upload-admin-key-0123456789abcdefghij"
    env = maestro_env(data, MAESTRO_BOOTSTRAP_ADMIN_KEY=admin_key)
    csv = tmp_path / "customers.csv"
    csv.write_text(
        "age,plan,churned\n" + "".join(f"{20 + i % 50},p{i % 3},{i % 2}\n" for i in range(500))
    )
    artifact = tmp_path / "model.bin"
    artifact.write_bytes(b"\x00" * 300_000)

    with maestro_serve(data, env=env) as server:
        admin_env = {**env, "MAESTRO_URL": server.url, "MAESTRO_ADMIN_KEY": admin_key}
        maestro("admin", "create-tenant", "acme", env=admin_env)
        user = json.loads(
            maestro("admin", "create-user", "acme", "al", "--role", "owner", env=admin_env).stdout
        )
        key = json.loads(maestro("admin", "create-key", user["id"], env=admin_env).stdout)["key"]
        user_env = {**env, "MAESTRO_URL": server.url, "MAESTRO_API_KEY": key}

        dataset = maestro(
            "datasets", "upload", str(csv), "--name", "customers", "-o", "json", env=user_env
        )
        created = maestro("models", "create", "churn", env=user_env)
        version = maestro(
            "models", "upload", "churn", str(artifact), "--format", "other", env=user_env
        )

    assert dataset.returncode == 0, dataset.stderr
    assert json.loads(dataset.stdout)["rows"] == 500
    assert created.returncode == 0, created.stderr
    assert version.returncode == 0, version.stderr
    assert json.loads(version.stdout)["size_bytes"] == 300_000
