"""The worker and pool contracts: failures become answers, time limits kill, bytes bound caches."""

import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from maestro.ml.catalog import CATALOG
from maestro.ml.serialization import dump_model
from maestro.serving import ArtifactRefused, WorkerConfig, WorkerPool, WorkerUnavailable
from maestro.serving.cache import ByteBoundedCache
from maestro.serving.sandbox import SandboxSpec
from maestro.serving.worker import Worker

SPEC = SandboxSpec(memory_bytes=2 * 1024**3, cpu_seconds=600, landlock="required")


class _RaisesOSError:
    """A model whose predict fails with an OSError, as a file-touching estimator would."""

    size_bytes = 1

    def predict(self, rows):
        raise PermissionError(13, "Permission denied", "/etc/passwd")


def test_an_oserror_inside_predict_is_an_invalid_instances_answer():
    worker = Worker({"limits": {}, "sandbox": SPEC.to_json(), "cache_bytes": 1024})
    worker.cache.put("m", _RaisesOSError(), 1)
    reply = worker.handle({"op": "predict", "key": "m", "rows": [[1.0]]}, b"")
    assert reply["ok"] is False and reply["code"] == "invalid_instances"
    assert reply["details"]["reason"].startswith("PermissionError")


def test_the_model_cache_is_bounded_in_bytes_not_entries():
    cache: ByteBoundedCache[str] = ByteBoundedCache(100)
    assert cache.put("a", "A", 60) and cache.put("b", "B", 30)
    cache.get("a")  # a is now the most recently used
    assert cache.put("c", "C", 40)  # 130 > 100: the least recent (b) goes
    assert ("a" in cache, "b" in cache, "c" in cache) == (True, False, True)
    assert cache.used_bytes == 100
    assert not cache.put("huge", "H", 101)  # larger than the budget: used, never kept
    assert len(cache) == 2 and cache.used_bytes == 100


@pytest.fixture(scope="module")
def model_bytes() -> tuple[bytes, list[list[float]]]:
    x = np.random.default_rng(1).normal(size=(50, 3))
    return dump_model(LogisticRegression().fit(x, x[:, 0] > 0)), x[:3].tolist()


def test_a_request_past_its_deadline_is_unavailable_and_the_worker_is_replaced(
    slow_forest, model_bytes
):
    artifact, batch = slow_forest
    pool = WorkerPool(WorkerConfig(SPEC), size=1, timeout=60)
    try:
        request = {"format": "skops", "rows": batch[:2]}
        pool.predict("forest", request, lambda: artifact)  # warm: loaded and cached
        (first,) = pool.pids()
        pool.timeout = 0.05  # far less than 10,000 rows through 300 trees
        with pytest.raises(WorkerUnavailable):
            pool.predict("forest", {"format": "skops", "rows": batch}, lambda: artifact)
        assert pool.replaced == 1 and pool.pids() == []
        pool.timeout = 60
        small, rows = model_bytes
        reply = pool.predict("small", {"format": "skops", "rows": rows}, lambda: small)
        assert len(reply["predictions"]) == 3
        assert pool.pids() != [first]
    finally:
        pool.close()


def test_warming_starts_every_worker_in_the_background():
    pool = WorkerPool(WorkerConfig(SPEC), size=2, timeout=60)
    try:
        pool.warm()
        deadline = time.monotonic() + 120
        while len(pool.pids(busy=False)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(set(pool.pids(busy=False))) == 2
    finally:
        pool.close()


def test_the_worker_refuses_a_file_reading_vectorizer_even_if_the_api_did_not():
    from sklearn.feature_extraction.text import CountVectorizer

    attack = dump_model(CountVectorizer(input="filename").fit(["/etc/hostname"]))
    pool = WorkerPool(WorkerConfig(SPEC), size=1, timeout=60)
    try:
        with pytest.raises(ArtifactRefused) as refused:
            pool.load("attack", {"format": "skops"}, attack)
        assert refused.value.details["parameter"] == "input"
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("algorithm", "task"),
    [(name, task) for name, entry in sorted(CATALOG.items()) for task in entry.estimators],
)
def test_every_catalog_estimator_predicts_inside_the_confined_worker(algorithm: str, task: str):
    """Thread pools are sized from the cgroup CPU quota: the sandbox leaves just that readable."""
    x = np.random.default_rng(2).normal(size=(200, 3))
    y = x[:, 0] > 0 if task == "classification" else x[:, 0] * 2.0
    artifact = dump_model(CATALOG[algorithm].estimators[task]().fit(x, y))
    pool = WorkerPool(WorkerConfig(SPEC), size=1, timeout=60)
    try:
        request = {"format": "skops", "rows": x[:5].tolist()}
        assert len(pool.predict(algorithm, request, lambda: artifact)["predictions"]) == 5
    finally:
        pool.close()
