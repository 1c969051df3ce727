"""An MLflow model holding a skops file is deployed and served by Maestro's own predict."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

pytestmark = pytest.mark.slow


def test_a_model_logged_by_mlflow_is_deployed_and_served_by_maestros_predict(
    make_mlflow_tenant, as_tenant
):
    import mlflow
    import mlflow.sklearn

    tenant = make_mlflow_tenant()
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    model = LogisticRegression().fit(frame, (frame["a"] > 0).astype(int))
    with as_tenant(tenant):
        mlflow.set_experiment("serving")
        with mlflow.start_run():
            mlflow.sklearn.log_model(model, name="model", registered_model_name="served")

    with tenant.maestro() as maestro:
        version = maestro.get_version("served", 1)
        assert version["metadata"]["mlflow"]["servable"] == {
            "path": "model.skops",
            "format": "skops",
        }
        maestro.deploy("served", 1)
        rows = frame.head(5).to_dict(orient="records")
        answer = maestro.predict("served", rows)
    assert answer["predictions"] == model.predict(frame.head(5)).tolist()
