"""MLflow's autologging, unmodified, around a scikit-learn `fit`."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

pytestmark = pytest.mark.slow


def test_sklearn_autolog_around_fit_logs_params_metrics_and_the_model(
    make_mlflow_tenant, as_tenant
):
    import mlflow
    import mlflow.sklearn
    from mlflow import MlflowClient

    tenant = make_mlflow_tenant()
    rng = np.random.default_rng(3)
    features = rng.normal(size=(80, 3))
    labels = (features[:, 0] > 0).astype(int)
    with as_tenant(tenant):
        mlflow.set_experiment("autolog")
        mlflow.sklearn.autolog(log_input_examples=False, log_model_signatures=False)
        try:
            with mlflow.start_run() as run:
                estimator = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0)
                estimator.fit(features, labels)
        finally:
            mlflow.sklearn.autolog(disable=True)
        logged = MlflowClient().get_run(run.info.run_id)
        models = mlflow.search_logged_models(
            experiment_ids=[run.info.experiment_id], output_format="list"
        )
        loaded = mlflow.sklearn.load_model(f"models:/{models[0].model_id}")

    assert logged.data.params["n_estimators"] == "5"
    assert logged.data.params["max_depth"] == "3"
    assert 0.5 < logged.data.metrics["training_accuracy_score"] <= 1.0
    assert logged.data.tags["estimator_class"].endswith("RandomForestClassifier")
    assert (loaded.predict(features) == estimator.predict(features)).all()
    with tenant.maestro() as maestro:
        (experiment,) = maestro.list_experiments(group="autolog")
    assert experiment["id"] == run.info.run_id
    assert experiment["params"]["n_estimators"] == "5"
