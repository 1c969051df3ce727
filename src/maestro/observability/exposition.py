"""The registry `/metrics` serves: process metrics plus the database-backed state gauges.

With `PROMETHEUS_MULTIPROC_DIR` set (gunicorn with several workers) counters and histograms are
read from every worker's files and summed, so whichever worker answers the scrape reports the
totals of all of them.
"""

import os
from collections.abc import Iterator, Mapping

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector


class _DefaultRegistry(Collector):
    """Forwards this process's metrics; lets each app add its own collector without globals."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def multiprocess_enabled() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def build_registry(*extra: Collector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_enabled():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_DefaultRegistry())
    for collector in extra:
        registry.register(collector)
    return registry


def render_metrics(registry: CollectorRegistry, headers: Mapping[str, str]) -> tuple[bytes, str]:
    encoder, content_type = choose_encoder(headers.get("accept", ""))
    return encoder(registry), content_type
