"""Helpers for the monitoring tests: repository paths, polling, a real Prometheus process."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import promql_parser
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


def metric_names(expr: str) -> set[str]:
    """Metric names selected anywhere in a PromQL expression (raises if it does not parse)."""
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


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

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_prometheus(
    workdir: Path,
    scrape_targets: list[str],
    rule_files: list[Path] = (),
    *,
    job: str = "maestro-api",
    scrape_interval: str = "1s",
    alert_for: str | None = None,
) -> RunningPrometheus:
    """Start the real `prometheus` binary on a free loopback port, scraping `targets` as `job`.

    `rule_files` are copied into `workdir/rules`, with every alert's `for:` replaced by `alert_for`
    when given (so an end-to-end test sees alerts fire in seconds). Returns once /-/ready is 200.
    """
    if not Path(PROMETHEUS_BINARY).exists():
        pytest.fail("the prometheus binary is needed: apt-get install prometheus (see .ci/run)")
    (workdir / "rules").mkdir(parents=True)
    for rule_file in rule_files:
        rules = yaml.safe_load(rule_file.read_text())
        for group in rules["groups"]:
            for rule in group["rules"]:
                if "alert" in rule and alert_for is not None:
                    rule["for"] = alert_for
        (workdir / "rules" / rule_file.name).write_text(yaml.safe_dump(rules, sort_keys=False))
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": ["rules/*.yml"],
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": scrape_targets}]}],
    }
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [
                PROMETHEUS_BINARY,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    running = RunningPrometheus(f"http://127.0.0.1:{port}", process, log)

    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode}: {log.read_text()}")
        return httpx.get(f"{running.url}/-/ready").status_code == 200

    wait_for(ready, timeout=30, what="prometheus to be ready")
    return running
