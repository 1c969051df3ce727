"""Shared fixtures for the monitoring bundle: repository paths and a real Prometheus process."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
MONITORING = REPO_ROOT / "monitoring"
DEPLOY = REPO_ROOT / "deploy"
RULES_DIR = MONITORING / "prometheus" / "rules"
PROMETHEUS_BINARY = shutil.which("prometheus") or "/usr/bin/prometheus"


def load_module(path: Path) -> ModuleType:
    """Import a script that is not on sys.path (the generators live outside src/)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def dashboard_generator() -> ModuleType:
    return load_module(MONITORING / "generate_dashboards.py")


@pytest.fixture(scope="session")
def rule_groups() -> list[dict[str, Any]]:
    """All rule groups of monitoring/prometheus/rules/*.yml, in file order."""
    return [
        group
        for path in sorted(RULES_DIR.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll `predicate` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = predicate()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


@dataclass
class RunningPrometheus:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def start_prometheus(tmp_path: Path) -> Iterator[Callable[..., RunningPrometheus]]:
    """Factory: start the real `prometheus` binary on a free loopback port with the given config.

    `scrape_targets` become the `maestro-api` job scraped every second; `rule_files` are copied
    next to the config. The process is stopped when the test ends.
    """
    started: list[subprocess.Popen[bytes]] = []

    def start(
        scrape_targets: list[str], rule_files: list[Path] = (), job: str = "maestro-api"
    ) -> RunningPrometheus:
        if not Path(PROMETHEUS_BINARY).exists():
            pytest.skip("prometheus binary not installed")
        workdir = tmp_path / f"prometheus-{len(started)}"
        (workdir / "rules").mkdir(parents=True)
        for rule_file in rule_files:
            shutil.copy(rule_file, workdir / "rules" / rule_file.name)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": ["rules/*.yml"],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": scrape_targets}]},
            ],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = workdir / "prometheus.log"
        process = subprocess.Popen(
            [
                PROMETHEUS_BINARY,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_for(
            lambda: process.poll() is None and httpx.get(f"{url}/-/ready").status_code == 200,
            timeout=30,
            what=f"prometheus to be ready ({log})",
        )
        return RunningPrometheus(url, process, log)

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
