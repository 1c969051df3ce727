"""Read panel queries out of the dashboard JSON and make them runnable against Prometheus.

Grafana expands template variables before it sends a query; this module does the same so a query
can be checked without Grafana: `$__rate_interval`, `$__interval` and `$__range` become fixed
durations and every dashboard variable (`$tenant`) becomes its "All" value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# src/maestro/monitoring/dashboards.py -> repository root (editable install)
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DASHBOARDS_DIR = REPO_ROOT / "monitoring" / "grafana" / "dashboards"

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d|w|y)$")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref_id: str
    expr: str
    instant: bool

    @property
    def label(self) -> str:
        return f"{self.dashboard}: {self.panel} [{self.ref_id}]"


@dataclass(frozen=True)
class Intervals:
    """Values for Grafana's built-in interval variables; `rate_interval` must span 2+ scrapes."""

    rate_interval: str = "1m"
    interval: str = "15s"
    range: str = "1h"

    def seconds(self, name: str) -> float:
        return duration_seconds(getattr(self, name))


def duration_seconds(duration: str) -> float:
    """Seconds in a single-unit Prometheus duration such as `90s` or `1h`."""
    match = _DURATION.match(duration)
    if not match:
        raise ValueError(f"not a duration like 30s, 5m or 1h: {duration!r}")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # panels inside collapsed rows


def load_panel_queries(directory: Path = DEFAULT_DASHBOARDS_DIR) -> list[PanelQuery]:
    """Every visible PromQL target of every dashboard JSON file in `directory`, in file order."""
    queries = []
    for path in sorted(directory.glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in _panels(dashboard.get("panels", [])):
            for target in panel.get("targets", []):
                if target.get("expr") and not target.get("hide"):
                    queries.append(
                        PanelQuery(
                            dashboard=path.name,
                            panel=panel.get("title", ""),
                            ref_id=target.get("refId", ""),
                            expr=target["expr"],
                            instant=bool(target.get("instant")) and not target.get("range"),
                        )
                    )
    return queries


def render_query(expr: str, intervals: Intervals = Intervals()) -> str:
    """`expr` with Grafana variables substituted; user variables take their All value `.*`."""
    builtins = {
        "__rate_interval": intervals.rate_interval,
        "__interval": intervals.interval,
        "__interval_ms": str(int(intervals.seconds("interval") * 1000)),
        "__range": intervals.range,
        "__range_s": str(int(intervals.seconds("range"))),
        "__range_ms": str(int(intervals.seconds("range") * 1000)),
    }

    def substitute(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        return builtins.get(name, ".*")

    return _VARIABLE.sub(substitute, expr)
