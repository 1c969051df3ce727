"""The same MLflow client workload against Maestro and against MLflow's own server, one run.

The workload is unmodified MLflow client code: create an experiment and a run, log 10,000 metric
points in batches of 1,000 (`MlflowClient.log_batch`), log 20 artifacts (`log_artifact`), and
log a scikit-learn model with `registered_model_name` (logged model, its files through the
artifact proxy, registered model and version). Maestro is `maestro serve` (SQLite, one worker,
a tenant's key in MLFLOW_TRACKING_TOKEN); MLflow is `mlflow server` with its defaults on SQLite
and its artifact proxy. Each repeat alternates the two servers; the median repeat is reported.

    pip install -e ".[bench]"
    python benchmarks/mlflow_client_workload.py [--repeats 5]
"""

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from _results import machine_line, write_section
from _servers import ADMIN_KEY, maestro_server, mlflow_server

METRIC_POINTS = 10_000
BATCH = 1_000
ARTIFACTS = 20
ARTIFACT_BYTES = 10 * 1024


def _tenant_key(url: str) -> str:
    from maestro.client import MaestroClient

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    with MaestroClient(url, api_key=ADMIN_KEY) as admin:
        unlimited = {"requests_per_minute": 1_000_000, "burst": 100_000}
        admin.create_tenant(slug, "Benchmark", rate_limit=unlimited)
        owner = admin.create_user(slug, "owner", "owner")
        return admin.create_api_key(owner["id"], "bench")["key"]


PHASES = ("metrics+artifacts", "model")
phases: dict[str, float] = {}


def workload(url: str, files: list[Path], model: object) -> float:
    """Seconds for the whole MLflow client workload against the tracking server at `url`."""
    import mlflow
    import mlflow.sklearn
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    start = time.perf_counter()
    mlflow.set_experiment(f"workload-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run() as run:
        now = int(time.time() * 1000)
        points = [Metric("loss", 1.0 / (i + 1), now + i, i) for i in range(METRIC_POINTS)]
        for offset in range(0, METRIC_POINTS, BATCH):
            client.log_batch(run.info.run_id, metrics=points[offset : offset + BATCH])
        for path in files:
            client.log_artifact(run.info.run_id, str(path), artifact_path="files")
        phases["metrics+artifacts"] = time.perf_counter() - start
        # Explicit requirements: the client's inference (a subprocess) is the same on both
        # sides and would only dilute the server comparison.
        mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=f"bench-model-{uuid.uuid4().hex[:8]}",
            pip_requirements=["scikit-learn"],
        )
    total = time.perf_counter() - start
    phases["model"] = total - phases["metrics+artifacts"]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 8))
    model = LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = []
        for i in range(ARTIFACTS):
            path = work / f"artifact-{i:02d}.bin"
            path.write_bytes(os.urandom(ARTIFACT_BYTES))
            files.append(path)
        (work / "maestro").mkdir()
        (work / "mlflow").mkdir()
        with maestro_server(work / "maestro") as maestro, mlflow_server(work / "mlflow") as peer:
            os.environ["MLFLOW_TRACKING_TOKEN"] = _tenant_key(maestro)
            runs: dict[str, Callable[[], float]] = {
                "Maestro (`maestro serve`, SQLite)": lambda: workload(maestro, files, model),
                "MLflow (`mlflow server`, SQLite)": lambda: workload(peer, files, model),
            }
            for run in runs.values():  # warm-up: imports, first connections, SQLite files
                run()
            timings: dict[str, list[float]] = {name: [] for name in runs}
            split: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
            for _ in range(args.repeats):
                for name, run in runs.items():
                    timings[name].append(run())
                    split[name].append(dict(phases))
                    print(name, f"{timings[name][-1]:.2f} s", phases)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    maestro_s, mlflow_s = medians.values()
    rows = "\n".join(
        f"| {name} | {median:.2f} | {min(timings[name]):.2f} | {max(timings[name]):.2f} | "
        + " | ".join(f"{statistics.median(p[phase] for p in split[name]):.2f}" for phase in PHASES)
        + " |"
        for name, median in medians.items()
    )
    markdown = f"""## MLflow client workload: Maestro vs MLflow's server

{machine_line()}

One run with {METRIC_POINTS:,} metric points in batches of {BATCH:,}, {ARTIFACTS} artifacts of
{ARTIFACT_BYTES // 1024} KiB and a registered scikit-learn model, by the unmodified MLflow
client; {args.repeats} alternating repeats after a warm-up of each.
Command: `python benchmarks/mlflow_client_workload.py --repeats {args.repeats}`.

| server | median s | min s | max s | runs, metrics, artifacts s | model s |
|---|---|---|---|---|---|
{rows}

Maestro finishes the workload **{mlflow_s / maestro_s:.1f}x** as fast as MLflow's own server.
Both columns include the same client-side work (protobuf encoding, saving the model); the
servers alternate, so load from other processes on the machine affects both alike.
"""
    print(markdown)
    write_section("mlflow_client_workload", markdown)


if __name__ == "__main__":
    main()
