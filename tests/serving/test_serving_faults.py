"""Hostile and failing models over HTTP: refused at upload, or a clean error, never a 500."""

import os
import signal
import threading
import time

import httpx
import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from maestro.api.app import create_app
from maestro.client import MaestroAPIError, ValidationError
from maestro.db.models import PredictionRecord
from maestro.ml.serialization import dump_model
from tests.support.live_server import start_server


def _member(make_tenant, admin):
    tenant = make_tenant()
    user = admin.create_user(tenant.slug, "mallory", "member")
    key = admin.create_api_key(user["id"], "attack")["key"]
    return tenant.client(key=key)


def test_the_file_reading_vectorizer_attack_is_refused_at_upload(make_tenant, admin):
    """The exact attack: a member's trusted-types Pipeline whose vectorizer opens paths."""
    attack = Pipeline(
        [("read", CountVectorizer(input="filename", analyzer="char")), ("m", LogisticRegression())]
    )
    attack.fit(["/etc/hostname", "/etc/os-release"], [0, 1])
    with _member(make_tenant, admin) as member:
        member.create_model("innocent")
        with pytest.raises(MaestroAPIError) as refused:
            member.upload_version("innocent", dump_model(attack), "skops")
        assert (refused.value.status_code, refused.value.code) == (400, "unsupported_artifact")
        assert refused.value.details["estimator"].endswith("CountVectorizer")
        assert refused.value.details["parameter"] == "input"
        assert member.list_versions("innocent") == []
        with pytest.raises(MaestroAPIError):
            member.deploy("innocent", 1)


def test_a_model_fitted_without_feature_names_takes_lists_and_refuses_objects(owner):
    x = np.random.default_rng(0).normal(size=(60, 3))
    model = LogisticRegression().fit(x, x[:, 0] > 0)
    owner.create_model("plain")
    owner.upload_version("plain", dump_model(model), "skops")
    owner.deploy("plain", 1)
    served = owner.predict("plain", x[:4].tolist())
    assert served["predictions"] == model.predict(x[:4]).tolist()
    assert served["prediction_ids"] == [f"{served['prediction_id']}-{i}" for i in range(4)]
    with pytest.raises(ValidationError) as refused:
        owner.predict("plain", [{"a": 1.0, "b": 2.0, "c": 3.0}])
    assert "without feature names" in refused.value.message


def test_list_instances_are_logged_as_lists(owner, server):
    x = np.random.default_rng(1).normal(size=(40, 2))
    owner.create_model("positional")
    model = LogisticRegression().fit(x, x[:, 1] > 0)
    owner.upload_version("positional", dump_model(model), "skops")
    owner.deploy("positional", 1)
    served = owner.predict("positional", [[0.5, -1.0]])
    log = server.app.state.ctx.prediction_log
    log.flush()
    with server.app.state.ctx.db.session() as session:
        row = session.get(PredictionRecord, served["prediction_ids"][0])
    assert row is not None and row.inputs == [0.5, -1.0]


def test_a_worker_killed_mid_request_is_a_503_and_the_next_request_works(
    owner, server, tenant, slow_forest
):
    artifact, batch = slow_forest
    owner.create_model("slow")
    owner.upload_version("slow", artifact, "skops")
    owner.deploy("slow", 1)
    pool = server.app.state.ctx.serving.pool
    url = f"{server.url}/api/v1/models/slow/predict"
    headers = {"Authorization": f"Bearer {tenant.owner_key}"}
    answers: list[httpx.Response] = []
    request = threading.Thread(
        target=lambda: answers.append(
            httpx.post(url, json={"instances": batch}, headers=headers, timeout=120)
        )
    )
    request.start()
    deadline = time.monotonic() + 60
    while not pool.pids(busy=True) and time.monotonic() < deadline:
        time.sleep(0.005)
    (busy,) = pool.pids(busy=True)
    os.kill(busy, signal.SIGKILL)
    request.join(120)
    (answer,) = answers
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "serving_unavailable"
    assert busy not in pool.pids()
    assert len(owner.predict("slow", batch[:5])["predictions"]) == 5


def test_an_app_shutting_down_ends_its_serving_processes(settings):
    """The worker pool is shared per process and outlives an app; its processes must not."""
    live = start_server(create_app(settings.model_copy(update={"serving_warm_on_start": True})))
    pool = live.app.state.ctx.serving.pool
    try:
        deadline = time.monotonic() + 120
        while len(pool.pids(busy=False)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = pool.pids(busy=False)
        assert len(started) == 2
    finally:
        live.stop()
    for pid in started:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
