"""The gauges' own text rendering writes exactly what prometheus_client writes for the same data."""

import math

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.registry import Collector

from maestro.observability import gauge_text
from maestro.observability.gauge_text import GaugeRows

AWKWARD_VALUES = [0.0, -0.0, 1.0, 7.0, 0.1, 1 / 3, 2 / 3, 1e-7, 123456.0, 1234567.0, 1e22, 2.5e9]
AWKWARD_LABELS = ["plain", 'quote"d', "back\\slash", "new\nline", "ünïcode", "", "a,b=c{d}"]


class Families(Collector):
    def __init__(self, *gauges: GaugeRows) -> None:
        self.gauges = gauges

    def collect(self):
        for gauge in self.gauges:
            yield gauge.family()


def reference(*gauges: GaugeRows, openmetrics: bool) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Families(*gauges))
    if openmetrics:
        return openmetrics_latest(registry).removesuffix(b"# EOF\n")
    return generate_latest(registry)


def awkward_gauges() -> list[GaugeRows]:
    # Label names out of alphabetical order: both renderings sort them.
    health = GaugeRows(
        "maestro_test_health", 'Help with a \\ backslash,\na newline and "quotes".', ["z", "a"]
    )
    for i, label in enumerate(AWKWARD_LABELS):
        for j, value in enumerate(AWKWARD_VALUES):
            health.add((label, f"m{j}"), value if i % 2 else -value)
    specials = GaugeRows("maestro_test_specials", "Infinities and NaN.", ["kind"])
    for kind, value in (("inf", math.inf), ("minus_inf", -math.inf), ("nan", math.nan)):
        specials.add((kind,), value)
    backlog = GaugeRows("maestro_test_backlog", "No labels.", [])
    backlog.add((), 42)
    empty = GaugeRows("maestro_test_empty", "No series yet.", ["tenant_id"])
    return [health, specials, backlog, empty]


@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
def test_rendering_is_byte_identical_to_prometheus_client(openmetrics):
    gauges = awkward_gauges()
    prefixes: dict = {}

    first = "".join(g.render(prefixes, openmetrics=openmetrics) for g in gauges).encode()
    again = "".join(g.render(prefixes, openmetrics=openmetrics) for g in gauges).encode()

    assert first == reference(*gauges, openmetrics=openmetrics)
    assert again == first  # served from the memoised prefixes


def test_the_prefix_cache_is_capped_and_output_stays_right_when_it_clears(monkeypatch):
    monkeypatch.setattr(gauge_text, "PREFIX_CACHE_LIMIT", 10)
    gauge = GaugeRows("maestro_test_many", "Many series.", ["tenant_id"])
    for i in range(25):
        gauge.add((f"tenant-{i}",), i)
    prefixes: dict = {}

    rendered = gauge.render(prefixes, openmetrics=False).encode()

    assert len(prefixes) <= 10
    assert rendered == reference(gauge, openmetrics=False)
