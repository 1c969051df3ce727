"""Unmodified MLflow client code against a real `maestro serve`, with a tenant's API key."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

pytestmark = pytest.mark.slow


def _model() -> tuple[LogisticRegression, np.ndarray]:
    rng = np.random.default_rng(7)
    features = rng.normal(size=(120, 4))
    labels = (features[:, 0] + features[:, 1] > 0).astype(int)
    return LogisticRegression().fit(features, labels), features


def test_mlflow_client_code_logs_runs_artifacts_and_models_to_maestro(
    make_mlflow_tenant, as_tenant, tmp_path
):
    import mlflow
    import mlflow.sklearn
    from mlflow import MlflowClient

    tenant = make_mlflow_tenant()
    model, features = _model()
    (tmp_path / "notes.txt").write_text("first artifact")
    report = tmp_path / "report"
    (report / "plots").mkdir(parents=True)
    (report / "summary.json").write_text('{"ok": true}')
    (report / "plots" / "curve.csv").write_text("x,y\n1,2\n")

    with as_tenant(tenant):
        experiment = mlflow.set_experiment("churn")
        with mlflow.start_run(run_name="baseline") as run:
            mlflow.log_params({"C": "1.0", "solver": "lbfgs"})
            for step in range(1000):
                mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
            mlflow.log_metrics({"accuracy": 0.93, "f1": 0.9})
            mlflow.set_tags({"team": "growth", "stage": "baseline"})
            mlflow.log_artifact(str(tmp_path / "notes.txt"))
            mlflow.log_artifacts(str(report), artifact_path="report")
            mlflow.sklearn.log_model(model, name="model", registered_model_name="churn-model")
        with mlflow.start_run(run_name="worse"):
            mlflow.log_params({"C": "0.1", "solver": "lbfgs"})
            mlflow.log_metrics({"accuracy": 0.71, "f1": 0.6})

        MlflowClient().set_registered_model_alias("churn-model", "champion", 1)

        runs = mlflow.search_runs(
            experiment_ids=[experiment.experiment_id],
            filter_string="metrics.accuracy > 0.5 and params.solver = 'lbfgs'",
            order_by=["metrics.accuracy DESC"],
        )
        assert list(runs["tags.mlflow.runName"]) == ["baseline", "worse"]
        assert list(runs["metrics.accuracy"]) == [0.93, 0.71]
        assert list(runs["params.C"]) == ["1.0", "0.1"]
        assert runs.loc[0, "metrics.loss"] == pytest.approx(1.0 / 1000)
        assert runs.loc[0, "status"] == "FINISHED"
        only_best = mlflow.search_runs(
            experiment_ids=[experiment.experiment_id], filter_string="params.C = '1.0'"
        )
        assert list(only_best["run_id"]) == [run.info.run_id]

        history = MlflowClient().get_metric_history(run.info.run_id, "loss")
        assert [m.step for m in history] == list(range(1000))
        assert history[9].value == pytest.approx(0.1)

        local = mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id, artifact_path="report", dst_path=str(tmp_path / "dl")
        )
        assert (tmp_path / "dl" / "report" / "plots" / "curve.csv").read_text() == "x,y\n1,2\n"
        assert local.endswith("report")
        names = {a.path for a in MlflowClient().list_artifacts(run.info.run_id)}
        assert {"notes.txt", "report"} <= names

        loaded = mlflow.sklearn.load_model("models:/churn-model@champion")
        assert (loaded.predict(features) == model.predict(features)).all()

    # The same objects, seen through Maestro's own API.
    with tenant.maestro() as maestro:
        experiments = maestro.list_experiments(group="churn")
        assert {e["name"] for e in experiments} == {"baseline", "worse"}
        assert {e["status"] for e in experiments} == {"completed"}
        version = maestro.get_version("churn-model", "champion")
        assert version["format"] == "mlflow"
        assert version["metadata"]["mlflow"]["run_id"] == run.info.run_id
        usage = maestro.usage(tenant.slug)["resources"]
        assert usage["experiments"]["used"] == 2
        assert usage["models"]["used"] == 1
        assert usage["storage_bytes"]["used"] > version["size_bytes"]
