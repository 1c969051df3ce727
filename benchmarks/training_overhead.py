"""Training overhead: a platform training job versus the same fit in-process, on 100,000 rows.

Both sides run `maestro.ml.training.train` (same algorithm, hyperparameters, Pipeline and
evaluation) on the same CSV. In-process: read the CSV as the platform does, then train.
Platform: submit a job to a real `maestro serve` (local executor) and poll until it succeeded;
that adds the queue, a worker process, loading the dataset from the artifact store, the
experiment, the skops artifact's registration and the polling. The pool process is warmed by one
small job first (the cold start, mostly importing scikit-learn in a fresh process, is reported
on its own), and the two sides alternate run by run so a busy machine slows both alike.
Rewrites the `training_overhead` section of RESULTS.md.

    .venv/bin/python benchmarks/training_overhead.py [--rows 100000] [--runs 3]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import polars as pl

from maestro.ml.training import train
from maestro.services.dataset_files import read_file

from _results import machine_line, write_section
from _servers import maestro_server
from registry_throughput import maestro_owner_key

GOAL_RATIO = 1.2
ALGORITHM = "random_forest"
HYPERPARAMETERS = {"n_estimators": 50, "max_depth": 12}
FEATURES = ["age", "income", "plan", "region", "tenure", "score_a", "score_b", "signup"]


def generate(rows: int, path: Path) -> None:
    """Mixed numeric and categorical features with missing values and a binary target."""
    rng = np.random.default_rng(0)
    age = rng.integers(18, 80, rows)
    income = rng.lognormal(10, 0.6, rows)
    plan = rng.choice(["basic", "plus", "premium"], rows)
    tenure = rng.integers(0, 120, rows)
    logit = (np.log(income) - 10) * 2 + 0.03 * (age - 48) - 0.01 * tenure
    logit += np.select([plan == "basic", plan == "plus"], [-0.5, 0.0], 1.0)
    frame = pl.DataFrame(
        {
            "age": age,
            "income": np.where(rng.random(rows) < 0.1, None, income).tolist(),
            "plan": plan,
            "region": rng.choice([f"r{i}" for i in range(30)], rows),
            "tenure": tenure,
            "score_a": rng.normal(size=rows),
            "score_b": rng.uniform(size=rows),
            "signup": pl.date_range(
                pl.date(2020, 1, 1), pl.date(2024, 1, 1), "1d", eager=True
            ).sample(rows, with_replacement=True, seed=1),
            "churned": rng.random(rows) < 1 / (1 + np.exp(-logit)),
        },
        schema_overrides={"income": pl.Float64},
    )
    frame.write_csv(path)


def in_process(path: Path) -> float:
    start = time.perf_counter()
    frame = read_file(path, "csv")  # exactly how the platform reads a stored CSV
    train(
        frame,
        "churned",
        ALGORITHM,
        hyperparameters=HYPERPARAMETERS,
        features=FEATURES,
        seed=0,
    )
    return time.perf_counter() - start


def platform_job(client: httpx.Client, dataset_id: str, name: str) -> float:
    """Seconds from POST /training-jobs to observing `succeeded` (polled every 100 ms)."""
    start = time.perf_counter()
    job = client.post(
        "/api/v1/training-jobs",
        json={
            "dataset_id": dataset_id,
            "target": "churned",
            "algorithm": ALGORITHM,
            "hyperparameters": HYPERPARAMETERS,
            "feature_columns": FEATURES,
            "seed": 0,
            "register_as": name,
        },
    )
    job.raise_for_status()
    while True:
        state = client.get(f"/api/v1/training-jobs/{job.json()['id']}").json()
        if state["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.1)
    if state["status"] != "succeeded":
        raise RuntimeError(f"training job {state['status']}: {state['error']}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "train.csv"
        generate(args.rows, data)
        small = Path(tmp) / "small.csv"
        pl.read_csv(data).head(500).write_csv(small)

        local: list[float] = []
        remote: list[float] = []
        with maestro_server(Path(tmp)) as url:
            key = maestro_owner_key(url)
            client = httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120
            )

            def upload(path: Path) -> str:
                with path.open("rb") as file:
                    response = client.post(
                        "/api/v1/datasets",
                        data={"name": path.stem},
                        files={"file": (path.name, file, "text/csv")},
                    )
                response.raise_for_status()
                return response.json()["id"]

            cold = platform_job(client, upload(small), "warmup")
            dataset_id = upload(data)
            for _ in range(args.runs):
                local.append(in_process(data))
                remote.append(platform_job(client, dataset_id, "bench"))

    local_s, remote_s = statistics.median(local), statistics.median(remote)
    ratio = remote_s / local_s
    verdict = "meets" if ratio <= GOAL_RATIO else "misses"
    markdown = f"""## Training overhead (`benchmarks/training_overhead.py`)

{machine_line()}

{args.rows:,} rows, {len(FEATURES)} mixed features with missing values, `{ALGORITHM}`
`{HYPERPARAMETERS}`, the same `maestro.ml.training.train` Pipeline on both sides; median of
{args.runs} alternating runs. The platform time runs from `POST /training-jobs` to seeing
`succeeded`: queue, worker process, dataset load from the artifact store, experiment, skops
artifact, registered version and 100 ms polling.

| side | median wall time | runs |
|---|---:|---|
| in-process (read CSV + train) | {local_s:.2f} s | {", ".join(f"{s:.2f}" for s in local)} |
| platform job (warm worker) | {remote_s:.2f} s | {", ".join(f"{s:.2f}" for s in remote)} |
| **ratio** | **{ratio:.2f}x** | goal <= {GOAL_RATIO}x: {verdict} |

A worker process's first job also imports scikit-learn and polars: the warm-up job (500 rows)
took {cold:.2f} s end to end.
"""
    write_section("training_overhead", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
