"""The model-health promise end to end: a deployed model trained on generated data sees its
live inputs drift on exactly the features that moved, and its live accuracy drop on /metrics."""

from maestro.client import MaestroClient
from tests.model_health.conftest import SHIFTED, generated, instances
from tests.support.live_server import LiveServer
from tests.support.metrics import scrape, value


def predict_all(owner: MaestroClient, name: str, rows: list[dict], batch: int = 250) -> list:
    """Predict in batches; returns (prediction id, prediction) for every row."""
    out = []
    for start in range(0, len(rows), batch):
        response = owner.predict(name, rows[start : start + batch])
        out += list(zip(response["prediction_ids"], response["predictions"], strict=True))
    return out


def drift_run(owner: MaestroClient, name: str) -> dict:
    job = owner.run_drift(name)
    run = owner.wait_for_drift_run(name, job["id"], timeout=120)
    assert run["status"] == "completed", run
    return run


def test_drift_flags_exactly_the_shifted_features_and_feedback_moves_live_accuracy(
    server: LiveServer, tenant, owner: MaestroClient, trained_model
):
    name = trained_model["name"]
    same = generated(1_000, seed=2)
    predict_all(owner, name, instances(same))
    calm = drift_run(owner, name)
    assert calm["drifted"] == [] and calm["dataset_drift"] is False
    assert calm["reference_dataset_id"] == trained_model["dataset_id"]
    assert calm["current_rows"] == 1_000

    shifted = generated(1_000, seed=3, shifted=True)
    logged = predict_all(owner, name, instances(shifted))
    moved = drift_run(owner, name)  # one run after the shift
    assert sorted(moved["drifted"]) == sorted(SHIFTED)
    assert moved["drifted_features"] == 2

    labels = {"tenant_id": tenant.slug, "model_name": name}
    samples = scrape(server.url)
    assert value(samples, "maestro_model_drifted_features", **labels) == 2
    assert value(samples, "maestro_model_drift_score", **labels) == 2 / 6
    training = value(samples, "maestro_model_training_accuracy", **labels)
    assert training > 0.6

    truth = shifted["y"].to_list()
    accepted = owner.feedback(name, {pid: y for (pid, _), y in zip(logged, truth, strict=True)})
    assert accepted == {"accepted": 1_000, "unknown_prediction_ids": []}
    honest = value(scrape(server.url), "maestro_model_live_accuracy", **labels)
    assert 0.5 < honest <= 1.0

    flipped = predict_all(owner, name, instances(generated(1_000, seed=4)))
    owner.feedback(name, {pid: 1 - int(predicted) for pid, predicted in flipped})
    dropped = value(scrape(server.url), "maestro_model_live_accuracy", **labels)
    assert dropped < honest - 0.1  # half of the window is now wrong on purpose
    assert training - dropped > 0.1  # what MaestroModelAccuracyDrop alerts on
    performance = owner.performance(name)
    assert performance["training"]["accuracy"] == training
    assert performance["windows"][0]["labelled"] == 2_000
