"""What `/metrics` serves: process metrics plus the database-backed state gauges.

With `PROMETHEUS_MULTIPROC_DIR` set (gunicorn with several workers) counters and histograms are
read from every worker's files and summed, so whichever worker answers the scrape reports the
totals of all of them.

The process metrics go through prometheus_client's encoder. The database-backed gauges, the
bulk of a scrape on an install with many tenants, render their own text (see `gauge_text`) and
are appended to it; for a name escaping other than the legacy one they go through the encoder too.
"""

import os
from collections.abc import Iterator, Mapping, Sequence

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from maestro.observability.collector import CachedDatabaseCollector

_OPENMETRICS = "application/openmetrics-text"
_EOF = b"# EOF\n"
# Escapings under which every Maestro metric and label name is written as it is.
_PLAIN_ESCAPINGS = {"underscores", "allow-utf-8"}


class _DefaultRegistry(Collector):
    """Forwards this process's metrics; lets each app add its own collector without globals."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class _Chain(Collector):
    """Several collectors as one, for the encoder's slow path."""

    def __init__(self, *collectors: Collector) -> None:
        self._collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


def multiprocess_enabled() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def build_registry(*extra: Collector) -> CollectorRegistry:
    """This process's (or every worker's) metrics, plus `extra` collectors."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_enabled():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_DefaultRegistry())
    for collector in extra:
        registry.register(collector)
    return registry


def _escaping(content_type: str) -> str:
    for part in content_type.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "escaping":
            return value
    return "underscores"


class MetricsExposition:
    """Renders a scrape: `registry` through prometheus_client, `gauges` from their own text."""

    def __init__(
        self, registry: CollectorRegistry, gauges: Sequence[CachedDatabaseCollector]
    ) -> None:
        self.registry = registry
        self.gauges = tuple(gauges)

    def render(self, headers: Mapping[str, str]) -> tuple[bytes, str]:
        encoder, content_type = choose_encoder(headers.get("accept", ""))
        if _escaping(content_type) not in _PLAIN_ESCAPINGS:
            return encoder(_Chain(self.registry, *self.gauges)), content_type
        openmetrics = content_type.startswith(_OPENMETRICS)
        body = encoder(self.registry)
        if openmetrics:
            body = body.removesuffix(_EOF)
        parts = [body, *(g.exposition(openmetrics=openmetrics) for g in self.gauges)]
        if openmetrics:
            parts.append(_EOF)
        return b"".join(parts), content_type
