"""Serving speed: Maestro (prediction logging on) versus `mlflow models serve` and MLServer with
its scikit-learn runtime.

The same 100-tree RandomForest is served by each, one server at a time on loopback, each with
its defaults for one worker process. Two workloads per server, after a warm-up:

- single-row requests from 8 concurrent clients (one asyncio client process, 8 in flight);
- 100-row batches, sequential.

Reported: throughput (requests/s) and p50/p99 latency; for the batch, the ratio of Maestro's p50
to the in-process call on the same rows (frame build + predict + predict_proba). Maestro answers
predictions and probabilities and logs them (within the log's row budget); MLflow's pyfunc and
MLServer answer predictions only.

    .venv-bench/bin/python benchmarks/serving_peers.py [--single 600] [--batches 150] \
        [--mlserver PATH]

MLServer pins `fastapi<0.116`, below Maestro's pin, so it lives in an environment of its own,
with the scikit-learn version Maestro pins (the model is handed over as a joblib file). MLServer
1.7.1's inference workers fail to start with uvloop 0.22 and newer ("There is no current event
loop"), so uvloop stays at 0.21:

    python -m venv .venv-mlserver
    .venv-mlserver/bin/pip install mlserver==1.7.1 mlserver-sklearn==1.7.1 scikit-learn==1.9.1 \
        uvloop==0.21.0
    .venv-bench/bin/python benchmarks/serving_peers.py --mlserver .venv-mlserver/bin/mlserver
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from maestro.ml.serialization import dump_model

from _results import machine_line, write_section
from _servers import _process, free_port, maestro_server
from prediction_latency import FEATURES, percentiles  # the same model, rows and percentiles
from registry_throughput import maestro_owner_key

CONCURRENCY = 8
# Per request: the first deploy starts a serving process and loads the forest, seconds on a busy
# machine; a request that takes this long is a failure to report, not a figure.
TIMEOUT = 120.0


@contextmanager
def mlflow_scoring_server(model: Any, workdir: Path) -> Iterator[str]:
    import mlflow.sklearn

    path = workdir / "mlflow-model"
    mlflow.sklearn.save_model(model, str(path), skops_trusted_types=["sklearn.tree._tree.Tree"])
    port = free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    command = [str(mlflow), "models", "serve", "-m", str(path), "--env-manager", "local"]
    command += ["-h", "127.0.0.1", "-p", str(port), "-w", "1"]
    url = f"http://127.0.0.1:{port}"
    # The scoring server execs `uvicorn` by name: the environment's bin must be on PATH.
    env = os.environ | {"PATH": f"{mlflow.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with _process(command, env, f"{url}/ping", workdir / "mlflow-serve.log"):
        yield url


def find_mlserver(given: str | None) -> Path | None:
    """The `mlserver` executable: the one given, else one beside this interpreter."""
    found = given or shutil.which("mlserver", path=str(Path(sys.executable).parent))
    return Path(found).absolute() if found else None


@contextmanager
def mlserver(executable: Path, model: Any, workdir: Path) -> Iterator[str]:
    import joblib

    folder = workdir / "mlserver"
    folder.mkdir()
    joblib.dump(model, folder / "model.joblib")  # our own model: MLServer's sklearn format
    port = free_port()
    (folder / "settings.json").write_text(
        json.dumps({"http_port": port, "grpc_port": free_port(), "metrics_port": free_port()})
    )
    (folder / "model-settings.json").write_text(
        json.dumps(
            {
                "name": "rf",
                "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib"},
            }
        )
    )
    command = [str(executable), "start", str(folder)]
    url = f"http://127.0.0.1:{port}"
    env = os.environ | {"PATH": f"{executable.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with _process(command, env, f"{url}/v2/health/ready", workdir / "mlserver.log"):
        yield url


async def run_concurrently(
    url: str, path: str, bodies: list[dict], headers: dict[str, str]
) -> tuple[float, list[float]]:
    """Send every body with CONCURRENCY in flight; (wall seconds, per-request latencies)."""
    latencies: list[float] = []
    queue = list(reversed(bodies))
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=TIMEOUT
    ) as client:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                start = time.perf_counter()
                response = await client.post(path, json=body)
                latencies.append(time.perf_counter() - start)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, latencies


def sequential(url: str, path: str, body: dict, headers: dict, n: int) -> tuple[float, list[float]]:
    latencies = []
    with httpx.Client(base_url=url, headers=headers, timeout=TIMEOUT) as client:
        started = time.perf_counter()
        for _ in range(n):
            start = time.perf_counter()
            response = client.post(path, json=body)
            latencies.append(time.perf_counter() - start)
            response.raise_for_status()
        return time.perf_counter() - started, latencies


def measure(
    url: str,
    path: str,
    shape: Callable[[list[dict]], dict],
    headers: dict,
    singles: list[list[dict]],
    batch: list[dict],
    n_batches: int,
) -> dict[str, float]:
    sequential(url, path, shape(batch), headers, 5)  # warm-up: load, caches, connections
    wall, lat = asyncio.run(run_concurrently(url, path, [shape(r) for r in singles], headers))
    s50, s99 = percentiles(lat)
    bwall, blat = sequential(url, path, shape(batch), headers, n_batches)
    b50, b99 = percentiles(blat)
    return {
        "single_rps": len(singles) / wall,
        "single_p50": s50,
        "single_p99": s99,
        "batch_rps": n_batches / bwall,
        "batch_p50": b50,
        "batch_p99": b99,
    }


def hook_cost_us(rows: list[dict], predictions: list, probabilities: list) -> float:
    """Median µs the predict path spends in the prediction-log hook for one request (logged)."""
    from maestro.services.prediction_log import PredictionLog
    from maestro.services.principal import Principal, Role
    from maestro.services.serving import Prediction
    from maestro.settings import Settings

    # No flush here; no row budget either, so every call takes the logged path.
    unbounded = Settings(prediction_log_max_rows_per_second=1e12)
    log = PredictionLog(None, None, unbounded)  # type: ignore[arg-type]
    log._config[("t", "rf")] = ("model-id", 1.0, float("inf"))  # the cached configuration
    principal = Principal("u", "u", Role.OWNER, "t", "bench")
    result = Prediction("rf", 1, predictions, probabilities)
    times = []
    for _ in range(2000):
        start = time.perf_counter()
        log(principal, rows, result)
        times.append(time.perf_counter() - start)
        log._buffer.clear()
        log._pending_rows = 0
    return statistics.median(times) * 1e6


def logging_overhead(
    url: str, headers: dict, singles: list[list[dict]], batch: list[dict], n_batches: int
) -> str:
    """Maestro alone, prediction logging on (rate 1) and off (rate 0), alternated 3 times."""
    p50s: dict[float, dict[str, list[float]]] = {1.0: {}, 0.0: {}}
    path = "/api/v1/models/rf/predict"
    for _ in range(3):
        for rate in (1.0, 0.0):
            with httpx.Client(base_url=url, headers=headers, timeout=TIMEOUT) as client:
                client.put("/api/v1/models/rf/monitoring", json={"log_sample_rate": rate})
            figures = measure(
                url, path, lambda rows: {"instances": rows}, headers, singles, batch, n_batches
            )
            for key in ("single_p50", "single_p99", "batch_p50", "batch_p99", "single_rps"):
                p50s[rate].setdefault(key, []).append(figures[key])
    on = {k: statistics.median(v) for k, v in p50s[1.0].items()}
    off = {k: statistics.median(v) for k, v in p50s[0.0].items()}
    rows = "\n".join(
        f"| {label} | {off[key]:.1f} | {on[key]:.1f} | {100 * (on[key] / off[key] - 1):+.1f} % |"
        for label, key in (
            ("single-row p50 ms (8 clients)", "single_p50"),
            ("single-row p99 ms (8 clients)", "single_p99"),
            ("100-row batch p50 ms", "batch_p50"),
            ("100-row batch p99 ms", "batch_p99"),
            ("single-row req/s", "single_rps"),
        )
    )
    single_us = hook_cost_us(singles[0], [1], [[0.3, 0.7]])
    batch_us = hook_cost_us(batch, [1] * len(batch), [[0.3, 0.7]] * len(batch))
    return f"""## Prediction logging overhead

`benchmarks/serving_peers.py --logging-only`: the same deployed RandomForest and workloads
({len(singles)} single-row requests from {CONCURRENCY} clients, {n_batches} 100-row batches),
logging at rate 1.0 within the default budget of 500 logged rows per second per model (every
single-row request; about one 100-row batch in twenty) and not at all (rate 0), alternated over
3 rounds; median of the rounds. {machine_line()}

| | logging off | logging on (defaults) | change |
|---|---|---|---|
{rows}

On the request path, logging is the hook's buffer append: median {single_us:.1f} µs for a
single-row request and {batch_us:.1f} µs for a 100-row batch (measured in-process over 2,000
calls), against predict latencies in milliseconds. Serialization and the insert happen on the
writer thread, in one transaction per tenant every half second: that work shares the API
process's CPU, which is what the batch rows above show, and what the row budget bounds.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=600, help="single-row requests")
    parser.add_argument("--batches", type=int, default=150, help="100-row batch requests")
    parser.add_argument(
        "--logging-only", action="store_true", help="Maestro with logging on vs off, no peers"
    )
    parser.add_argument("--mlserver", help="the mlserver executable of its own environment")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(5000, len(FEATURES))), columns=FEATURES)
    y = (x["f0"] + x["f1"] * x["f2"] > 0).astype(int)
    model = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0).fit(x, y)
    pool = x.sample(1000, random_state=1).to_dict(orient="records")
    singles = [[pool[i % len(pool)]] for i in range(args.single)]
    batch = pool[:100]

    local: list[float] = []
    for _ in range(args.batches):
        start = time.perf_counter()
        frame = pd.DataFrame(batch, columns=FEATURES)
        model.predict(frame).tolist()
        model.predict_proba(frame).tolist()
        local.append(time.perf_counter() - start)
    local_p50, local_p99 = percentiles(local)

    results: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with maestro_server(workdir) as url:
            key = maestro_owner_key(url)
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=url, headers=headers, timeout=TIMEOUT) as client:
                client.post("/api/v1/models", json={"name": "rf"}).raise_for_status()
                client.post(
                    "/api/v1/models/rf/versions",
                    data={"format": "skops"},
                    files={"file": ("rf.skops", dump_model(model), "application/octet-stream")},
                ).raise_for_status()
                client.post("/api/v1/models/rf/versions/1/deploy").raise_for_status()
                served = client.post("/api/v1/models/rf/predict", json={"instances": batch})
                assert served.json()["prediction_ids"], "prediction logging must be on"
            if args.logging_only:
                markdown = logging_overhead(url, headers, singles, batch, args.batches)
                print(markdown)
                write_section("prediction_log_overhead", markdown)
                return
            results["Maestro (prediction logging on)"] = measure(
                url,
                "/api/v1/models/rf/predict",
                lambda rows: {"instances": rows},
                headers,
                singles,
                batch,
                args.batches,
            )
        with mlflow_scoring_server(model, workdir) as url:
            results["MLflow `mlflow models serve`"] = measure(
                url,
                "/invocations",
                lambda rows: {"dataframe_records": rows},
                {},
                singles,
                batch,
                args.batches,
            )
        mlserver_bin = find_mlserver(args.mlserver)
        if mlserver_bin is not None:
            with mlserver(mlserver_bin, model, workdir) as url:
                results["MLServer (scikit-learn runtime)"] = measure(
                    url,
                    "/v2/models/rf/infer",
                    lambda rows: {
                        "inputs": [
                            {
                                "name": "input-0",
                                "shape": [len(rows), len(FEATURES)],
                                "datatype": "FP64",
                                "data": [r[f] for r in rows for f in FEATURES],
                            }
                        ]
                    },
                    {},
                    singles,
                    batch,
                    args.batches,
                )
        else:
            notes.append(
                "MLServer not measured: give `--mlserver` the executable of its own environment "
                "(it pins `fastapi<0.116`, below Maestro's pin; see the script's docstring)."
            )

    maestro = results["Maestro (prediction logging on)"]
    peers = {k: v for k, v in results.items() if not k.startswith("Maestro")}
    fastest = max(peers, key=lambda k: peers[k]["single_rps"])
    rows_md = "\n".join(
        f"| {name} | {r['single_rps']:.0f} | {r['single_p50']:.1f} | {r['single_p99']:.1f} "
        f"| {r['batch_rps']:.1f} | {r['batch_p50']:.1f} | {r['batch_p99']:.1f} |"
        for name, r in results.items()
    )
    ratio = maestro["single_rps"] / peers[fastest]["single_rps"]
    markdown = f"""## Serving speed versus MLflow and MLServer

`benchmarks/serving_peers.py`: the same 100-tree RandomForest (10 features) served by each
server in turn on loopback, each with its defaults for one server worker (Maestro: one API
worker and its two sandboxed serving processes; MLServer: one API process and one inference
worker; MLflow: one scoring worker); {args.single} single-row requests from {CONCURRENCY}
concurrent clients, then {args.batches} sequential 100-row batches, after a warm-up. Maestro
answers predictions and probabilities with prediction logging on (rate 1.0 by default, within
its default budget of 500 logged rows per second per deployed model); MLflow and MLServer answer
predictions. The in-process baseline is the plain call a user would make on the loaded model:
a pandas frame, `predict` and `predict_proba`. {machine_line()}

| server | single-row req/s | p50 ms | p99 ms | 100-row batch req/s | p50 ms | p99 ms |
|---|---|---|---|---|---|---|
{rows_md}
| in-process (frame + predict + predict_proba) | - | - | - | - | {local_p50:.1f} | {local_p99:.1f} |

- Single-row throughput: Maestro {ratio:.2f}x {fastest} (goal 1.5x the faster peer),
  p99 {maestro["single_p99"]:.1f} ms vs {peers[fastest]["single_p99"]:.1f} ms.
- 100-row batch p50: Maestro {maestro["batch_p50"] / local_p50:.2f}x the in-process call
  (goal at most 1.15x).
""" + "".join(f"- {note}\n" for note in notes)
    print(markdown)
    write_section("serving_peers", markdown)


if __name__ == "__main__":
    main()
