"""The whole path on a realistic dataset: discovery, training, deploy, predict, model cards.

Runs on SQLite and PostgreSQL with the local executor (a real process pool in the server).
"""

import json

from maestro.client import MaestroClient
from tests.support.live_server import LiveServer
from tests.support.metrics import scrape, value
from tests.training.conftest import upload, wait_for_metric


def test_discovery_training_serving_and_cards_on_a_realistic_dataset(
    server: LiveServer, tenant, owner: MaestroClient, churn_csv: bytes
):
    before = scrape(server.url)
    dataset_id = upload(owner, churn_csv)

    # Feature discovery flags the leak and the identifier, and ranks signal above noise.
    accepted = owner.discover_features(dataset_id, target="churned")
    assert accepted["status"] == "queued"
    discovery = owner.wait_for_feature_discovery(accepted["id"], timeout=120)
    assert discovery["status"] == "succeeded", discovery["error"]
    report = discovery["report"]
    assert "outcome_code" in {s["feature"] for s in report["leakage"]}
    identifiers = {
        c for a in report["alerts"] if a["type"] == "identifier_like" for c in a["columns"]
    }
    assert "customer_id" in identifiers
    rank = {r["feature"]: r["rank"] for r in report["relevance"]}
    assert max(rank["income"], rank["age"]) < min(rank["noise_a"], rank["noise_b"])

    # Training registers a version with the real metrics and full metadata.
    seen: list[tuple[str, float]] = []
    job = owner.train(
        dataset_id,
        "churned",
        "random_forest",
        hyperparameters={"n_estimators": 20, "max_depth": 6},
        feature_columns=["age", "income", "plan", "is_member", "signup", "noise_a", "spend"],
        evaluation_slices=["plan"],
        register_as="churn",
    )
    done = owner.wait_for_training_job(
        job["id"],
        timeout=120,
        on_progress=lambda j: j["progress"] and seen.append(tuple(j["progress"].values())),
    )
    assert done["status"] == "succeeded", done["error"]
    assert done["model"] == "churn" and done["model_version"] == 1
    assert done["metrics"]["accuracy"] > 0.7 and 0.7 < done["metrics"]["roc_auc"] <= 1
    assert {s["feature"] for s in done["slice_metrics"]} == {"plan"}
    assert done["experiment_id"] and done["duration_seconds"] > 0
    assert seen[-1] == ("done", 100.0)
    version = owner.get_version("churn", 1)
    meta = version["metadata"]
    assert meta["training_job_id"] == job["id"] and meta["dataset_id"] == dataset_id
    assert meta["target"] == "churned" and meta["classes"] == [False, True]
    assert meta["metrics"]["accuracy"] == done["metrics"]["accuracy"]
    experiment = owner.get_experiment(done["experiment_id"])
    assert experiment["status"] == "completed"
    assert experiment["tags"]["training_job_id"] == job["id"]

    # Deploy and predict with the registered skops artifact.
    owner.deploy("churn", "1")
    prediction = owner.predict(
        "churn", [{"age": 30, "income": 40000.0, "plan": "premium", "signup": "2023-05-01"}]
    )
    assert prediction["predictions"][0] in (True, False)
    assert len(prediction["probabilities"][0]) == 2

    # The card, in every format, carries the metrics and the leakage warning.
    owner.put_card("churn", 1, primary_uses=["Churn outreach"], caveats="Synthetic data.")
    accuracy = f"{done['metrics']['accuracy']:.4f}"
    markdown = owner.get_card("churn", 1, "markdown")
    assert markdown.startswith("---\n") and "model-index" in markdown
    assert accuracy in markdown and "Possible target leakage" in markdown
    assert "outcome_code" in markdown and "Churn outreach" in markdown
    html = owner.get_card("churn", 1, "html")
    assert html.lstrip().lower().startswith("<!doctype html") and accuracy in html
    assert "Possible target leakage" in html
    card = json.loads(owner.get_card("churn", 1, "json"))
    performance = {
        p["type"]: p["value"]
        for p in card["quantitative_analysis"]["performance_metrics"]
        if "slice" not in p
    }
    assert performance["accuracy"] == accuracy
    limitations = " ".join(x["description"] for x in card["considerations"]["limitations"])
    assert "outcome_code" in limitations
    assert "ethical_considerations" in card["completeness"]["empty_sections"]

    # Every stage and job reached the API's /metrics, exactly once.
    slug = tenant.slug
    for stage in ("profile", "relevance", "leakage", "generate"):
        wait_for_metric(
            server.url,
            "maestro_feature_discovery_operations_total",
            value(
                before,
                "maestro_feature_discovery_operations_total",
                tenant_id=slug,
                operation=stage,
                status="success",
            )
            + 1,
            tenant_id=slug,
            operation=stage,
            status="success",
        )
    duration = "maestro_ml_training_duration_seconds_count"
    forests = {"algorithm": "random_forest", "status": "succeeded"}  # every tenant's
    wait_for_metric(server.url, duration, value(before, duration, **forests) + 1, **forests)
    for status in ("started", "completed"):
        wait_for_metric(
            server.url, "maestro_ml_experiments_total", 1, tenant_id=slug, status=status
        )
    after = scrape(server.url)
    assert value(after, duration, **forests) == value(before, duration, **forests) + 1  # once
    assert value(after, "maestro_ml_experiments_total", tenant_id=slug, status="started") == 1
    for fmt in ("markdown", "html", "json"):
        assert (
            value(
                after,
                "maestro_model_card_generations_total",
                tenant_id=slug,
                format=fmt,
                status="success",
            )
            == 1
        )
