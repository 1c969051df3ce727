"""A local Prometheus for `maestro serve`: the Debian `prometheus` binary with the shipped rules.

The compose stack keeps its own configuration; this writes a minimal one into a work directory
(scrape the local API every 5 s as job `maestro-api`, load `monitoring/prometheus/rules/*.yml`)
so the dashboards' queries, the alerts and `maestro monitoring check` can be tried in one command.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import yaml

from maestro.monitoring.contract import SCRAPE_JOB
from maestro.monitoring.dashboards import REPO_ROOT

RULES_DIR = REPO_ROOT / "monitoring" / "prometheus" / "rules"


class PrometheusNotInstalledError(Exception):
    """The `prometheus` binary is not on PATH (apt-get install prometheus)."""


@dataclass(frozen=True)
class LocalPrometheus:
    url: str
    config: Path
    command: list[str]


def prepare(
    workdir: Path,
    target: str,
    *,
    listen: str = "127.0.0.1:9090",
    scrape_interval: str = "5s",
    binary: str | None = None,
) -> LocalPrometheus:
    """Write the configuration and rules into `workdir`; return how to start Prometheus."""
    executable = binary or shutil.which("prometheus")
    if executable is None:
        raise PrometheusNotInstalledError("prometheus is not installed: apt-get install prometheus")
    rules = workdir / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    for rule_file in sorted(RULES_DIR.glob("*.yml")):
        shutil.copyfile(rule_file, rules / rule_file.name)
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": ["rules/*.yml"],
        "scrape_configs": [
            {
                "job_name": SCRAPE_JOB,
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [target]}],
            }
        ],
    }
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    command = [
        executable,
        f"--config.file={path}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address={listen}",
    ]
    return LocalPrometheus(url=f"http://{listen}", config=path, command=command)


def exec_prometheus(local: LocalPrometheus) -> NoReturn:
    """Replace this process with Prometheus: Ctrl-C and SIGTERM then reach it directly."""
    sys.stdout.flush()
    os.execv(local.command[0], local.command)  # noqa: S606 (fixed argv, no shell)
