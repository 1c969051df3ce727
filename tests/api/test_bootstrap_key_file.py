"""The bootstrap admin key can come from a file (the container-secret pattern)."""

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from maestro.api.app import create_app
from maestro.settings import Settings

KEY = "mst_from-a-mounted-secret-0123456789abcdefghij"


def test_the_admin_key_file_creates_the_platform_admin(tmp_path, monkeypatch):
    secret = tmp_path / "admin_key"
    secret.write_text(KEY + "\n")
    monkeypatch.delenv("MAESTRO_BOOTSTRAP_ADMIN_KEY", raising=False)
    monkeypatch.setenv("MAESTRO_BOOTSTRAP_ADMIN_KEY_FILE", str(secret))
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.bootstrap_admin_key.get_secret_value() == KEY
    with TestClient(create_app(settings)) as client:
        listed = client.get("/api/v1/tenants", headers={"Authorization": f"Bearer {KEY}"})
        refused = client.get("/api/v1/tenants", headers={"Authorization": "Bearer mst_wrong"})
    assert listed.status_code == 200
    assert refused.status_code == 401


def test_the_key_and_its_file_together_are_refused(tmp_path):
    secret = tmp_path / "admin_key"
    secret.write_text(KEY)
    with pytest.raises(ValidationError, match="not both"):
        Settings(bootstrap_admin_key=KEY, bootstrap_admin_key_file=secret)
