"""What demo users do. Each action is one realistic step and may fail the way real calls fail.

Actions raise the SDK's typed errors; the runner counts them by kind, so a 404 from a deliberate
mistake and a 429 from the tight tenant show up as what they are, not as demo failures.
"""

import functools
import io
import random
import threading
import time
from collections.abc import Callable

from maestro.client import QuotaExceededError
from maestro.demo.provisioning import DemoTenant

Action = Callable[[DemoTenant, random.Random], None]
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
_lock = threading.Lock()


@functools.cache
def model_artifact(n_estimators: int) -> bytes:
    """A small real classifier, serialized with skops (what the platform can serve)."""
    import numpy as np
    import polars as pl
    from sklearn.ensemble import RandomForestClassifier

    from maestro.ml.serialization import dump_model

    rng = np.random.default_rng(n_estimators)
    frame = pl.DataFrame({name: rng.normal(size=300) for name in FEATURES})
    labels = (frame["petal_length"] + frame["petal_width"] > 0).cast(pl.Int8).to_numpy()
    model = RandomForestClassifier(n_estimators=n_estimators, max_depth=4, random_state=0)
    return dump_model(model.fit(frame, labels))


def dataset_csv(rows: int, rng: random.Random) -> bytes:
    buffer = io.StringIO()
    buffer.write("customer_id,age,income,segment,signup_day,churned\n")
    for i in range(rows):
        age = rng.randint(18, 80)
        income = "" if rng.random() < 0.05 else f"{rng.lognormvariate(10, 0.5):.2f}"
        segment = rng.choice(["retail", "smb", "enterprise"])
        churned = int((age < 30 and rng.random() < 0.7) or rng.random() < 0.1)
        day = f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        buffer.write(f"c{i},{age},{income},{segment},{day},{churned}\n")
    return buffer.getvalue().encode()


def instances(rng: random.Random, n: int = 5) -> list[dict[str, float]]:
    return [{name: rng.gauss(0, 1) for name in FEATURES} for _ in range(n)]


def _models(tenant: DemoTenant) -> list[str]:
    return tenant.state.setdefault("models", [])


def _deployed(tenant: DemoTenant) -> list[str]:
    return tenant.state.setdefault("deployed", [])


def browse(tenant: DemoTenant, rng: random.Random) -> None:
    tenant.owner.me()
    tenant.owner.list_models()
    tenant.viewer.usage(tenant.slug)


def register_model(tenant: DemoTenant, rng: random.Random) -> None:
    """Create a model, upload a skops version, alias it and deploy it (capped per tenant)."""
    with _lock:
        models = _models(tenant)
        full = len(models) >= _model_cap(tenant)
        if not full:  # a counter, not len(models): a deleted model's name is never reused
            tenant.state["created"] = tenant.state.get("created", 0) + 1
            name = f"churn-{tenant.state['created']}"
            models.append(name)
    if full:  # outside the lock: new_version takes it too
        return new_version(tenant, rng)
    tenant.owner.create_model(name, description="Customer churn classifier", tags={"team": "ds"})
    version = tenant.owner.upload_version(
        name,
        model_artifact(rng.choice((5, 10, 25))),
        format="skops",
        metadata={"framework": "scikit-learn", "features": list(FEATURES)},
    )
    tenant.owner.set_alias(name, "production", version["version"])
    tenant.owner.deploy(name, "production")
    _mark_deployed(tenant, name)


def _mark_deployed(tenant: DemoTenant, name: str) -> None:
    """Track a deployment, unless another worker retired the model meanwhile: a model is in
    `deployed` only while it is in `models`, so retiring can always remove it from both."""
    with _lock:
        if name in _models(tenant) and name not in _deployed(tenant):
            _deployed(tenant).append(name)


def fill_quota(tenant: DemoTenant, rng: random.Random) -> None:
    """Bring the near-quota tenant to its model count (above the 80% warning) right away, so the
    quota panels and alert show it however little traffic a loaded machine manages."""
    target = min(tenant.plan.models_kept or 0, _model_cap(tenant))
    while len(_models(tenant)) < target:
        register_model(tenant, rng)


def _model_cap(tenant: DemoTenant) -> int:
    """Models the demo keeps at most: one quota slot stays free (no quota_exceeded), max 12."""
    return min((tenant.plan.quotas.get("models") or 10) - 1, 12)


def new_version(tenant: DemoTenant, rng: random.Random) -> None:
    models = list(_models(tenant))
    if not models:
        return register_model(tenant, rng)
    name = rng.choice(models)
    version = tenant.owner.upload_version(name, model_artifact(rng.choice((5, 10, 25))))
    tenant.owner.set_alias(name, "staging", version["version"])
    tenant.owner.deploy(name, version["version"])
    _mark_deployed(tenant, name)


def predict(tenant: DemoTenant, rng: random.Random) -> None:
    deployed = list(_deployed(tenant))
    if not deployed:
        return register_model(tenant, rng)
    tenant.owner.predict(rng.choice(deployed), instances(rng, rng.randint(1, 20)))


def update_model(tenant: DemoTenant, rng: random.Random) -> None:
    models = list(_models(tenant))
    if models:
        tenant.owner.update_model(rng.choice(models), description=f"revision {rng.randint(1, 99)}")


def retire_model(tenant: DemoTenant, rng: random.Random) -> None:
    """Undeploy and sometimes delete, keeping the near-quota tenant above 80%."""
    with _lock:
        deployed = _deployed(tenant)
        if len(deployed) < 3:
            return
        name = deployed.pop(rng.randrange(len(deployed)))
        delete = tenant.plan.deletes_models and rng.random() < 0.5
        if delete:
            _models(tenant).remove(name)
    tenant.owner.undeploy(name)
    if delete:
        tenant.owner.delete_model(name)


def experiment(tenant: DemoTenant, rng: random.Random) -> None:
    run = tenant.owner.create_experiment(
        f"sweep-{rng.randint(1, 999)}",
        group="churn",
        params={"learning_rate": rng.choice((0.01, 0.1)), "depth": rng.randint(2, 8)},
        tags={"owner": "demo"},
    )
    loss = 1.0
    points = []
    for step in range(20):
        loss *= rng.uniform(0.85, 0.99)
        points.append({"name": "loss", "value": loss, "step": step})
    tenant.owner.log_metrics(run["id"], points)
    tenant.owner.finish_experiment(run["id"], rng.choice(("completed", "completed", "failed")))


def upload_dataset(tenant: DemoTenant, rng: random.Random) -> None:
    datasets = tenant.state.setdefault("datasets", [])
    if len(datasets) >= 3:
        return
    created = tenant.owner.upload_dataset(
        dataset_csv(rng.randint(300, 800), rng),
        f"customers-{len(datasets) + 1}",
        filename="customers.csv",
    )
    datasets.append(created["id"])


def mistakes(tenant: DemoTenant, rng: random.Random) -> None:
    """The 4xx a real team produces: stale names, malformed bodies, viewers who try to write."""
    mistake = rng.choice(("missing", "invalid", "viewer", "duplicate"))
    if mistake == "duplicate":  # the owner always exists, unlike models other workers delete
        tenant.owner.create_user(tenant.slug, tenant.owner_username, "member")
    elif mistake == "invalid":
        tenant.owner.request("POST", "/models", json={"name": "Not A Slug!", "extra": 1})
    elif mistake == "viewer":
        tenant.viewer.create_model(f"viewer-{rng.randint(1, 9)}")
    else:
        tenant.owner.get_model(f"no-such-model-{rng.randint(1, 9)}")
    raise AssertionError(f"the platform accepted a {mistake} mistake")


def hammer(tenant: DemoTenant, rng: random.Random) -> None:
    """A burst beyond the tenant's budget: the tight tenant gets 429s, the others shrug.

    40 calls exceed a burst of 10 refilled at 2/s unless each call takes over 0.75 s, so even
    a loaded machine produces the 429s the dashboards show."""
    for _ in range(40):
        tenant.owner.me()


def _demo_dataset(tenant: DemoTenant, rng: random.Random) -> str:
    """One of the tenant's demo datasets, uploading a small one first if it has none."""
    datasets = tenant.state.setdefault("datasets", [])
    if not datasets:
        upload_dataset(tenant, rng)
    return rng.choice(datasets)


def train_model(tenant: DemoTenant, rng: random.Random) -> None:
    """A small platform training job, followed to its end (sometimes cancelled at once)."""
    dataset_id = _demo_dataset(tenant, rng)
    algorithm, params = rng.choice(
        (
            ("random_forest", {"n_estimators": 10, "max_depth": 4}),
            ("logistic_regression", {"C": 0.5}),
            ("gradient_boosting", {"max_iter": 20}),
        )
    )
    job = tenant.owner.train(
        dataset_id,
        "churned",
        algorithm,
        hyperparameters=params,
        feature_columns=["age", "income", "segment", "signup_day"],
        evaluation_slices=["segment"],
        # The near-quota tenant trains into one of its own models: a new model would take it
        # from the warning band to 100% of its quota.
        register_as="churn-1" if tenant.plan.models_kept else "churn-trained",
    )
    if rng.random() < 0.1:
        tenant.owner.cancel_training_job(job["id"])
    try:
        done = tenant.owner.wait_for_training_job(job["id"], timeout=60, poll_interval=1.0)
    except TimeoutError:
        tenant.owner.cancel_training_job(job["id"])
        return
    if done["status"] == "succeeded":
        with _lock:
            tenant.state.setdefault("trained", []).append((done["model"], done["model_version"]))


def discover_features(tenant: DemoTenant, rng: random.Random) -> None:
    job = tenant.owner.discover_features(_demo_dataset(tenant, rng), target="churned")
    try:
        tenant.owner.wait_for_feature_discovery(job["id"], timeout=30, poll_interval=1.0)
    except TimeoutError:
        return


def _trained_versions(tenant: DemoTenant, rng: random.Random) -> list[tuple[str, int]]:
    """The tenant's trained versions, training one first if there is none yet. When other
    workers' jobs hold the tenant's training slots, wait for theirs instead (bounded)."""
    if not tenant.state.get("trained"):
        try:
            train_model(tenant, rng)
        except QuotaExceededError:
            deadline = time.monotonic() + 60
            while not tenant.state.get("trained") and time.monotonic() < deadline:
                time.sleep(0.5)
    return list(tenant.state.get("trained", []))


def model_cards(tenant: DemoTenant, rng: random.Random) -> None:
    """Render a trained version's card in every format; now and then document it first."""
    trained = _trained_versions(tenant, rng)
    if not trained:
        return
    name, version = rng.choice(trained)
    if rng.random() < 0.3:
        tenant.owner.put_card(
            name,
            version,
            primary_uses=["Prioritise retention outreach"],
            ethical_considerations=["Do not use to deny service."],
        )
    for card_format in ("markdown", "html", "json"):
        tenant.owner.get_card(name, version, card_format)


def model_health(tenant: DemoTenant, rng: random.Random) -> None:
    """Predictions, labels and drift runs for a trained, deployed model (`demo.model_health`)."""
    from maestro.demo import model_health as health

    health.model_health(tenant, rng)


ACTIONS: dict[str, tuple[Action, int]] = {
    "browse": (browse, 20),
    "register_model": (register_model, 6),
    "fill_quota": (fill_quota, 0),  # first pass only
    "new_version": (new_version, 4),
    "predict": (predict, 20),
    "update_model": (update_model, 4),
    "retire_model": (retire_model, 2),
    "experiment": (experiment, 8),
    "upload_dataset": (upload_dataset, 2),
    "mistakes": (mistakes, 6),
    "hammer": (hammer, 2),
    "train_model": (train_model, 2),
    "discover_features": (discover_features, 2),
    "model_cards": (model_cards, 3),
    "model_health": (model_health, 2),
}
