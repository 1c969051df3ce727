"""The demo's model-health traffic: per tenant, a classifier and a regressor uploaded with the
figures measured on their holdout and a reference dataset, deployed; then windows of
predictions, labels for most of them and a drift run, so every model-health gauge has a series.

Everything is synchronous and quick (no training job to wait for), so the demo's other actions
keep their share of the time. Half of the windows come from a shifted population (`petal_length`
moved by one and a half standard deviations), so the drift gauges move too.
"""

import functools
import io
import random
import threading
from dataclasses import dataclass
from typing import Any

from maestro.demo.provisioning import DemoTenant

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
WINDOW = 250  # above the 200 logged rows a drift run needs
REFERENCE_ROWS = 1500
_lock = threading.Lock()


@dataclass(frozen=True)
class HealthModel:
    name: str
    task: str
    artifact: bytes
    metadata: dict[str, Any]
    reference_csv: bytes


def truth(row: dict[str, float], task: str, rng: random.Random) -> float | int:
    if task == "classification":
        label = int(row["petal_length"] + row["petal_width"] > 0)
        return 1 - label if rng.random() < 0.1 else label
    return 2 * row["sepal_length"] - row["sepal_width"] + rng.gauss(0, 0.3)


@functools.cache
def health_models() -> tuple[HealthModel, ...]:
    """Two small real models, their holdout figures, and the data they were fitted on."""
    import numpy as np
    import polars as pl
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LinearRegression

    from maestro.ml.serialization import dump_model

    rng = random.Random(11)
    rows = [{name: rng.gauss(0, 1) for name in FEATURES} for _ in range(2000)]
    frame = pl.DataFrame(rows)
    fit, holdout = frame.head(REFERENCE_ROWS), frame.tail(2000 - REFERENCE_ROWS)
    reference = fit.write_csv().encode()
    models = []
    for task in ("classification", "regression"):
        y = np.array([truth(r, task, rng) for r in rows])
        y_fit, y_holdout = y[:REFERENCE_ROWS], y[REFERENCE_ROWS:]
        if task == "classification":
            model: Any = RandomForestClassifier(25, max_depth=4, random_state=0)
            model.fit(fit, y_fit)
            figures = {"accuracy": float(np.mean(model.predict(holdout) == y_holdout))}
        else:
            model = LinearRegression().fit(fit, y_fit)
            figures = {"mae": float(np.mean(np.abs(model.predict(holdout) - y_holdout)))}
        metadata = {"framework": "scikit-learn", "task": task, "metrics": figures}
        name = "iris-health-clf" if task == "classification" else "iris-health-reg"
        models.append(HealthModel(name, task, dump_model(model), metadata, reference))
    return tuple(models)


def _ready(tenant: DemoTenant, model: HealthModel) -> bool:
    """Register, give a reference and deploy the model once per tenant."""
    key = f"health:{model.name}"
    with _lock:
        state = tenant.state.get(key)
        if state is None:
            tenant.state[key] = "setting up"
    if state is not None:
        return state == "ready"
    owner = tenant.owner
    try:
        owner.create_model(model.name, description=f"Model health demo ({model.task})")
        owner.upload_version(model.name, model.artifact, format="skops", metadata=model.metadata)
        dataset = owner.upload_dataset(
            io.BytesIO(model.reference_csv), f"{model.name}-reference", filename="reference.csv"
        )
        owner.set_reference(model.name, 1, dataset["id"])
        owner.deploy(model.name, 1)
    except BaseException:
        with _lock:
            tenant.state.pop(key, None)  # e.g. a quota: another call may try again
        raise
    with _lock:
        tenant.state[key] = "ready"
    return True


def model_health(tenant: DemoTenant, rng: random.Random) -> None:
    """One window of predictions for one of the tenant's health models, labelled, then drift."""
    if not tenant.plan.health_models:
        return
    model = rng.choice(health_models())
    if not _ready(tenant, model):
        return
    shift = 1.5 if rng.random() < 0.5 else 0.0
    rows = [{name: rng.gauss(0, 1) for name in FEATURES} for _ in range(WINDOW)]
    for row in rows:
        row["petal_length"] += shift
    response = tenant.owner.predict(model.name, rows)
    ids = response.get("prediction_ids") or []
    labels = {
        pid: truth(row, model.task, rng)
        for pid, row in zip(ids, rows, strict=False)
        if rng.random() < 0.8
    }
    if labels:
        tenant.owner.feedback(model.name, labels)
    tenant.owner.run_drift(model.name)
