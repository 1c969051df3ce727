"""Schemathesis against a real `maestro serve`: no 5xx, and every response as documented.

Every check is on (`schemathesis.toml`): server errors, status codes, content types, headers,
response schemas, `Allow` on 405, negative data rejected, valid data accepted, auth not ignored.
The tenant owner fuzzes every operation; the platform admin the operations that are its own
(tenants, users, keys) - on the others it is a 403 the owner's run already covers. The number of
examples is bounded to keep the four runs (SQLite and PostgreSQL x owner and admin) to a few
minutes on two cores; `MAESTRO_FUZZ_EXAMPLES` raises it for a deeper local run.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.conftest import FuzzTarget

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = os.environ.get("MAESTRO_FUZZ_EXAMPLES", "5")
ADMIN_TAGS = ("tenants", "users", "health")


def run_schemathesis(target: FuzzTarget, key: str, *extra: str) -> subprocess.CompletedProcess:
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run"),
        f"{target.server.url}/openapi.json",
        *("--header", f"Authorization: Bearer {key}"),
        *("--max-examples", EXAMPLES, "--phases", "examples,coverage,fuzzing"),
        *("--seed", "20261202", "--workers", "1", "--request-timeout", "30", "--no-color"),
        *extra,
    ]
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.slow
@pytest.mark.timeout(900)  # about 3 minutes for the owner's run on a busy machine
@pytest.mark.parametrize("role", ["owner", "admin"])
def test_every_operation_answers_as_documented_and_never_with_a_server_error(
    fuzz_target: FuzzTarget, role: str
) -> None:
    if role == "owner":
        result = run_schemathesis(fuzz_target, fuzz_target.owner_key)
    else:
        tags = [arg for tag in ADMIN_TAGS for arg in ("--include-tag", tag)]
        result = run_schemathesis(fuzz_target, fuzz_target.admin_key, *tags)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert "unhandled error" not in fuzz_target.server.output()  # logged by every 500
