"""Database-backed gauges as plain rows, rendered straight to exposition text.

With 1,000 tenants the state gauges are ~9,000 series. Building prometheus_client metric families
for them and letting its encoder validate and escape every label name of every sample took most
of a scrape. The rows here hold only label values and numbers; `render` writes the sample lines
with prefixes (metric name and escaped labels) memoised across scrapes, since tenants rarely
change. `family` builds the same data as a prometheus_client family, for any other encoder and
for the test that both renderings agree.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.utils import floatToGoString

# Memoised sample-line prefixes; cleared when full so tenant churn cannot grow it without bound.
PREFIX_CACHE_LIMIT = 100_000


def escape_label_value(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def escape_help(text: str, *, openmetrics: bool) -> str:
    escaped = text.replace("\\", r"\\").replace("\n", r"\n")
    return escaped.replace('"', r"\"") if openmetrics else escaped


def format_value(value: float) -> str:
    """Go's float formatting, as prometheus_client writes it; zero, the commonest, short-cut."""
    if value == 0.0:
        return "0.0" if math.copysign(1.0, value) > 0 else "-0.0"
    return floatToGoString(value)


@dataclass
class GaugeRows:
    """One gauge family: its name, help, label names and one (label values, value) per series."""

    name: str
    documentation: str
    labelnames: Sequence[str]
    rows: list[tuple[tuple[str, ...], float]] = field(default_factory=list)

    def add(self, labelvalues: Sequence[str], value: float) -> None:
        self.rows.append((tuple(labelvalues), float(value)))

    def family(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(self.name, self.documentation, labels=list(self.labelnames))
        for labelvalues, value in self.rows:
            family.add_metric(list(labelvalues), value)
        return family

    def render(self, prefixes: dict[tuple[str, tuple[str, ...]], str], *, openmetrics: bool) -> str:
        """The family in the text format (or OpenMetrics, whose gauge lines differ only in HELP).

        Labels are written sorted by name, as prometheus_client does. `prefixes` memoises the
        part of each line before the value; the caller owns it and caps its size.
        """
        order = sorted(range(len(self.labelnames)), key=lambda i: self.labelnames[i])
        names = [self.labelnames[i] for i in order]
        lines = [
            f"# HELP {self.name} {escape_help(self.documentation, openmetrics=openmetrics)}\n"
            f"# TYPE {self.name} gauge\n"
        ]
        formatted: dict[float, str] = {}
        for labelvalues, value in self.rows:
            key = (self.name, labelvalues)
            prefix = prefixes.get(key)
            if prefix is None:
                if len(prefixes) >= PREFIX_CACHE_LIMIT:
                    prefixes.clear()
                labels = ",".join(
                    f'{name}="{escape_label_value(labelvalues[i])}"'
                    for name, i in zip(names, order, strict=True)
                )
                prefix = prefixes[key] = f"{self.name}{{{labels}}} " if labels else f"{self.name} "
            text = formatted.get(value) if value != 0.0 else None  # 0.0 == -0.0 as keys
            if text is None:
                text = formatted[value] = format_value(value)
            lines.append(f"{prefix}{text}\n")
        return "".join(lines)
