"""A serving process is confined: it cannot read secrets, its parent, or the data directory."""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy

from maestro.services.serving import serving_pool
from maestro.serving.protocol import read_frame
from maestro.serving.sandbox import SandboxSpec
from maestro.settings import Settings


def _probe(tmp_path: Path, *paths: str) -> dict:
    """Run the real worker entry point, sandboxed as the pool starts it, in probe mode."""
    pool = serving_pool(Settings(data_dir=tmp_path / "data"))
    argv = [*pool.config.argv(), "--probe", *paths]
    env = {"MAESTRO_BOOTSTRAP_ADMIN_KEY": "never-seen"}  # even if one leaked into its start
    done = subprocess.run(argv, capture_output=True, env=env, timeout=120, check=False)
    read, write = os.pipe()
    os.write(write, done.stdout)
    os.close(write)
    message, _ = read_frame(read)
    os.close(read)
    assert message["ready"], message
    return message


def test_a_serving_process_cannot_open_etc_passwd_nor_its_parents_environment(tmp_path):
    (tmp_path / "data").mkdir()
    secret = tmp_path / "data" / "maestro.db"
    secret.write_text("tenant rows")
    allowed = numpy.__file__  # the installation stays readable: the probe itself works
    message = _probe(
        tmp_path,
        "/etc/passwd",
        f"/proc/{os.getpid()}/environ",
        "/proc/1/environ",
        str(secret),
        allowed,
    )
    assert message["landlock_abi"] >= 1
    assert message["probe"]["paths"] == {
        "/etc/passwd": "PermissionError",
        f"/proc/{os.getpid()}/environ": "PermissionError",
        "/proc/1/environ": "PermissionError",
        str(secret): "PermissionError",
        allowed: "readable",
    }
    assert message["probe"]["environ"] == {}


def test_workers_are_started_with_an_empty_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MAESTRO_BOOTSTRAP_ADMIN_KEY", "secret-admin-key")
    pool = serving_pool(Settings(data_dir=tmp_path / "data"))
    with pool._checkout() as worker:
        environ = Path(f"/proc/{worker.pid}/environ").read_bytes()
    assert environ == b""


def test_a_worker_refuses_to_start_when_the_data_directory_is_readable():
    inside = str(Path(sysconfig.get_paths()["purelib"]) / "maestro-data")
    spec = SandboxSpec(memory_bytes=2 * 1024**3, cpu_seconds=60, forbidden=(inside,))
    argv = [sys.executable, "-I", "-m", "maestro.serving.worker"]
    config = {"sandbox": spec.to_json(), "limits": {}, "cache_bytes": 0, "max_artifact_bytes": 1}
    done = subprocess.run(
        [*argv, json.dumps(config)], capture_output=True, env={}, timeout=120, check=False
    )
    assert done.returncode == 3
    assert b"lies under the readable root" in done.stdout
