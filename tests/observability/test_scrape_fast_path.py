"""/metrics renders the database-backed gauges itself; a scrape equals prometheus_client's own.

The state, job and model-health gauges skip prometheus_client's encoder (too slow with thousands
of tenants). Whatever the server sends for them must parse to exactly the families that
prometheus_client renders from the same rows, in both formats Prometheus asks for.
"""

import time

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from maestro.demo.actions import model_artifact
from maestro.settings import Settings

OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
PROMETHEUS_3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8"
DOTS = "application/openmetrics-text;version=1.0.0;escaping=dots"
ACCEPTS = {"text": "", "openmetrics": OPENMETRICS, "utf-8": PROMETHEUS_3}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # One cache window for the whole test: the scrape and the reference read the same rows.
    settings.metrics_cache_seconds = 3600
    return settings


def parsed(text: str, *, openmetrics: bool) -> dict[str, tuple]:
    """Family name -> (type, help, samples sorted): what a scraper reads."""
    families = parse_openmetrics(text) if openmetrics else parse_text(text)
    return {
        f.name: (
            f.type,
            f.documentation,
            sorted(((s.name, s.labels, s.value) for s in f.samples), key=repr),
        )
        for f in families
    }


def reference(app, *, openmetrics: bool) -> str:
    """prometheus_client's rendering of the same gauges, from their metric families."""
    registry = CollectorRegistry(auto_describe=False)
    for gauges in app.state.metrics.gauges:
        registry.register(gauges)
    encode = openmetrics_latest if openmetrics else generate_latest
    return encode(registry).decode()


@pytest.fixture
def busy_install(make_tenant):
    """Tenants with quota ratios that are not binary fractions, a model, an idle tenant."""
    thirds = make_tenant(quotas={"models": 3, "users": 3, "storage_bytes": 7_000_000})
    make_tenant()
    with thirds.client() as owner:
        owner.me()
        owner.create_model("churn")
        owner.upload_version("churn", model_artifact(5), format="skops")
    return thirds


@pytest.mark.parametrize("accept", list(ACCEPTS), ids=list(ACCEPTS))
def test_database_gauges_in_a_scrape_equal_prometheus_client_rendering(
    server, busy_install, accept
):
    response = httpx.get(f"{server.url}/metrics", headers={"accept": ACCEPTS[accept]})
    openmetrics = response.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics == (accept != "text")

    scraped = parsed(response.text, openmetrics=openmetrics)
    expected = parsed(reference(server.app, openmetrics=openmetrics), openmetrics=openmetrics)

    assert expected  # state, job and model-health families
    assert {name: scraped.get(name) for name in expected} == expected
    models_ratio = {"tenant_id": busy_install.slug, "resource_type": "models"}
    ratios = scraped["maestro_tenant_quota_usage_ratio"][2]
    assert ("maestro_tenant_quota_usage_ratio", models_ratio, 1 / 3) in ratios
    # The process metrics are there too, once: the OpenMetrics parser rejects a family twice.
    assert "maestro_http_requests" in scraped


def test_an_escaping_that_renames_metrics_goes_through_prometheus_client(server, busy_install):
    text = httpx.get(f"{server.url}/metrics", headers={"accept": DOTS}).text

    # Escaping `dots` doubles underscores in names; only prometheus_client's encoder does that.
    series = 'maestro__tenant__quota__usage__ratio{resource__type="models",tenant__id="%s"}'
    assert series % busy_install.slug in text
    assert "maestro_tenant_quota_usage_ratio" not in text


def test_gauges_are_read_once_per_cache_window(server, make_tenant):
    gauges = server.app.state.metrics.gauges[0]
    before = httpx.get(f"{server.url}/metrics").text
    late = make_tenant()

    assert f'tenant_id="{late.slug}"' not in httpx.get(f"{server.url}/metrics").text
    assert gauges.exposition(openmetrics=False) in before.encode()

    gauges._cache_seconds = 0.05  # the window ends: the next scrape reads the database again
    deadline = time.monotonic() + 10
    while f'tenant_id="{late.slug}"' not in httpx.get(f"{server.url}/metrics").text:
        assert time.monotonic() < deadline, "the new tenant never appeared"
