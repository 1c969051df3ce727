"""Online prediction latency: a deployed RandomForest versus the same model in-process.

Both sides answer the same 100-row batch (predictions and class probabilities), from the same
list of JSON-like rows, so the ratio is the platform's cost: HTTP, auth, rate limiting, metrics,
JSON and the model cache lookup.

    python benchmarks/prediction_latency.py [--requests 300]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from maestro.ml.serialization import dump_model

from _results import machine_line, write_section
from _servers import maestro_server
from registry_throughput import maestro_owner_key

FEATURES = [f"f{i}" for i in range(10)]


def percentiles(seconds: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(5000, len(FEATURES))), columns=FEATURES)
    y = (x["f0"] + x["f1"] * x["f2"] > 0).astype(int)
    model = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0).fit(x, y)
    rows = x.sample(100, random_state=1).to_dict(orient="records")

    local: list[float] = []
    for _ in range(args.requests):
        start = time.perf_counter()
        frame = pd.DataFrame(rows, columns=FEATURES)
        model.predict(frame).tolist()
        model.predict_proba(frame).tolist()
        local.append(time.perf_counter() - start)

    remote: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, maestro_server(Path(tmp)) as url:
        key = maestro_owner_key(url)
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"})
        client.post("/api/v1/models", json={"name": "rf"}).raise_for_status()
        client.post(
            "/api/v1/models/rf/versions",
            data={"format": "skops"},
            files={"file": ("rf.skops", dump_model(model), "application/octet-stream")},
        ).raise_for_status()
        client.post("/api/v1/models/rf/versions/1/deploy").raise_for_status()
        body = {"instances": rows}
        client.post("/api/v1/models/rf/predict", json=body).raise_for_status()  # load + cache
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.post("/api/v1/models/rf/predict", json=body)
            remote.append(time.perf_counter() - start)
            response.raise_for_status()
        served = response.json()
    expected = model.predict(pd.DataFrame(rows, columns=FEATURES)).tolist()
    assert served["predictions"] == expected, "served predictions differ from the local model"

    (lp50, lp99), (rp50, rp99) = percentiles(local), percentiles(remote)
    markdown = f"""## Online prediction latency

`benchmarks/prediction_latency.py`: a 100-tree RandomForest, 100-row batch with predictions and
probabilities, {args.requests} sequential requests after one warm-up; in-process baseline builds the
frame from the same rows and calls the same model. {machine_line()}

| | p50 ms | p99 ms |
|---|---|---|
| in-process | {lp50:.1f} | {lp99:.1f} |
| Maestro `POST /models/rf/predict` | {rp50:.1f} | {rp99:.1f} |
| ratio | {rp50 / lp50:.2f}x | {rp99 / lp99:.2f}x |

Served predictions equal the local model's.
"""
    print(markdown)
    write_section("prediction_latency", markdown)


if __name__ == "__main__":
    main()
