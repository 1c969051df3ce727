"""Fixtures for the monitoring bundle tests; the helpers behind them live in support.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.monitoring.support import (
    MONITORING,
    RULES_DIR,
    RunningPrometheus,
    load_module,
    start_prometheus,
)


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


@pytest.fixture
def prometheus_factory(tmp_path: Path) -> Iterator[Callable[..., RunningPrometheus]]:
    """Start real Prometheus processes (see support.start_prometheus); all stop after the test."""
    started: list[RunningPrometheus] = []

    def start(scrape_targets: list[str], **kwargs: Any) -> RunningPrometheus:
        prometheus = start_prometheus(
            tmp_path / f"prometheus-{len(started)}", scrape_targets, **kwargs
        )
        started.append(prometheus)
        return prometheus

    yield start
    for prometheus in started:
        prometheus.stop()
