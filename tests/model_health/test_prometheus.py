"""With a real Prometheus scraping the API: feedback that makes live accuracy drop moves
`maestro_model_live_accuracy`, and the accuracy-drop alert's expression starts to hold."""

import httpx

from tests.model_health.conftest import generated, instances
from tests.monitoring.conftest import prometheus_factory as prometheus_factory
from tests.monitoring.support import wait_for

DROP = "maestro_model_training_accuracy - maestro_model_live_accuracy > 0.1"


def query(url: str, promql: str) -> list[float]:
    result = httpx.get(f"{url}/api/v1/query", params={"query": promql}).json()["data"]["result"]
    return [float(row["value"][1]) for row in result]


def test_live_accuracy_falls_in_prometheus_when_feedback_turns_wrong(
    server, tenant, owner, trained_model, prometheus_factory
):
    prometheus = prometheus_factory([server.url.removeprefix("http://")])
    selector = f'maestro_model_live_accuracy{{tenant_id="{tenant.slug}", model_name="scorer"}}'

    honest = generated(300, seed=2)
    response = owner.predict("scorer", instances(honest))
    owner.feedback("scorer", dict(zip(response["prediction_ids"], honest["y"], strict=True)))
    before = wait_for(lambda: query(prometheus.url, selector), timeout=30, what="live accuracy")[0]
    assert before > 0.6
    assert query(prometheus.url, DROP) == []

    wrong = owner.predict("scorer", instances(generated(300, seed=3)))
    pairs = zip(wrong["prediction_ids"], wrong["predictions"], strict=True)
    owner.feedback("scorer", {pid: 1 - int(predicted) for pid, predicted in pairs})
    after = wait_for(
        lambda: [v for v in query(prometheus.url, selector) if v < before - 0.1],
        timeout=30,
        what="live accuracy to fall",
    )[0]
    assert after < 0.6
    assert wait_for(lambda: query(prometheus.url, DROP), timeout=30, what="the drop expression")
