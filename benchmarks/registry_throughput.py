"""Registry throughput: Maestro versus an MLflow tracking server, same machine, same run.

Two workloads, each with the same client concurrency against both servers (SQLite backends, one
server worker each):

- register a model version *with its artifact*: Maestro's multipart upload; MLflow's artifact
  proxy upload followed by model-versions/create (MLflow needs both to hold the same thing);
- log experiment metrics in batches: Maestro's metrics batch; MLflow's runs/log-batch.

    pip install -e ".[bench]"    # in a separate virtualenv (MLflow is a benchmark-only peer)
    python benchmarks/registry_throughput.py [--requests 300] [--concurrency 8]
"""

import argparse
import functools
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from _results import machine_line, write_section
from _servers import ADMIN_KEY, maestro_server, mlflow_server

ARTIFACT = bytes(range(256)) * 40  # a 10 KiB artifact
METRICS_PER_BATCH = 100


Workload = Callable[[int], None]


@dataclass
class Measurement:
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98] * 1000


def measure(call: Callable[[int], None], requests: int, concurrency: int) -> Measurement:
    latencies: list[float] = []
    lock = threading.Lock()

    def timed(i: int) -> None:
        start = time.perf_counter()
        call(i)
        elapsed = time.perf_counter() - start
        with lock:
            latencies.append(elapsed)

    for i in range(min(20, requests)):  # warm-up, not measured
        call(requests + i)
    latencies.clear()
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(timed, range(requests)))
    return Measurement(requests, time.perf_counter() - start, latencies)


def _shifted(call: Workload, offset: int, i: int) -> None:
    """Give every round its own request indexes (metric steps must not repeat)."""
    call(offset + i)


def _median(measurements: list[Measurement]) -> Measurement:
    ranked = sorted(measurements, key=lambda m: m.throughput)
    return ranked[len(ranked) // 2]


def maestro_owner_key(url: str) -> str:
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    slug = f"bench-{uuid.uuid4().hex[:6]}"
    unlimited = dict.fromkeys(
        ("models", "experiments", "datasets", "storage_bytes", "deployments", "users")
    )
    admin.post(
        "/api/v1/tenants",
        json={
            "slug": slug,
            "name": "Bench",
            "quotas": unlimited,
            "rate_limit": {"requests_per_minute": 1_000_000, "burst": 100_000},
        },
    ).raise_for_status()
    user = admin.post(f"/api/v1/tenants/{slug}/users", json={"username": "b", "role": "owner"})
    key = admin.post(f"/api/v1/users/{user.json()['id']}/api-keys", json={"name": "bench"})
    return key.json()["key"]


def maestro_workloads(url: str, concurrency: int) -> dict[str, Workload]:
    key = maestro_owner_key(url)
    client = httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {key}"},
        limits=httpx.Limits(max_connections=concurrency),
    )
    client.post("/api/v1/models", json={"name": "bench-model"}).raise_for_status()

    def register(_: int) -> None:
        client.post(
            "/api/v1/models/bench-model/versions",
            data={"format": "other"},
            files={"file": ("model.bin", ARTIFACT, "application/octet-stream")},
        ).raise_for_status()

    experiment = client.post("/api/v1/experiments", json={"name": "bench"}).json()["id"]

    def log_batch(i: int) -> None:
        points = [
            {"name": f"m{j % 5}", "value": j * 0.1, "step": i * METRICS_PER_BATCH + j}
            for j in range(METRICS_PER_BATCH)
        ]
        client.post(
            f"/api/v1/experiments/{experiment}/metrics", json={"metrics": points}
        ).raise_for_status()

    return {"register_version": register, "log_metrics": log_batch}


def mlflow_workloads(url: str, concurrency: int) -> dict[str, Workload]:
    client = httpx.Client(base_url=url, limits=httpx.Limits(max_connections=concurrency))
    api = "/api/2.0/mlflow"
    client.post(f"{api}/registered-models/create", json={"name": "bench-model"}).raise_for_status()

    experiment = client.post(f"{api}/experiments/create", json={"name": "bench"}).json()
    run = client.post(
        f"{api}/runs/create", json={"experiment_id": experiment["experiment_id"]}
    ).json()["run"]
    run_id, artifact_uri = run["info"]["run_id"], run["info"]["artifact_uri"]
    artifact_path = artifact_uri.removeprefix("mlflow-artifacts:/")

    def register(i: int) -> None:
        # MLflow keeps a version's files under a run: upload through the proxy, then register.
        relative = f"{uuid.uuid4().hex}/model.bin"
        client.put(
            f"/api/2.0/mlflow-artifacts/artifacts/{artifact_path}/{relative}", content=ARTIFACT
        ).raise_for_status()
        client.post(
            f"{api}/model-versions/create",
            json={"name": "bench-model", "source": f"{artifact_uri}/{relative}", "run_id": run_id},
        ).raise_for_status()

    def log_batch(i: int) -> None:
        now = int(time.time() * 1000)
        points = [
            {
                "key": f"m{j % 5}",
                "value": j * 0.1,
                "timestamp": now,
                "step": i * METRICS_PER_BATCH + j,
            }
            for j in range(METRICS_PER_BATCH)
        ]
        client.post(
            f"{api}/runs/log-batch", json={"run_id": run_id, "metrics": points}
        ).raise_for_status()

    return {"register_version": register, "log_metrics": log_batch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per workload and round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    results: dict[str, dict[str, list[Measurement]]] = {"maestro": {}, "mlflow": {}}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with maestro_server(workdir) as ours_url, mlflow_server(workdir) as peer_url:
            servers = {
                "maestro": maestro_workloads(ours_url, args.concurrency),
                "mlflow": mlflow_workloads(peer_url, args.concurrency),
            }
            # Rounds alternate the two servers so that machine noise hits both alike.
            offset = 0
            for _ in range(args.rounds):
                for name, workloads in servers.items():
                    for workload, call in workloads.items():
                        shifted = functools.partial(_shifted, call, offset)
                        measured = measure(shifted, args.requests, args.concurrency)
                        results[name].setdefault(workload, []).append(measured)
                offset += args.requests + 20

    ours = {w: _median(ms) for w, ms in results["maestro"].items()}
    peer = {w: _median(ms) for w, ms in results["mlflow"].items()}
    rows = []
    for workload in ("register_version", "log_metrics"):
        m, p = ours[workload], peer[workload]
        rows.append(
            f"| {workload} | {m.throughput:.0f} | {p.throughput:.0f} | "
            f"**{m.throughput / p.throughput:.1f}x** | {m.p99_ms:.0f} | {p.p99_ms:.0f} |"
        )
    table = "\n".join(rows)
    markdown = f"""## Registry throughput versus MLflow

`benchmarks/registry_throughput.py`: {args.rounds} rounds alternating the two servers, each
with {args.requests} requests per workload from {args.concurrency} concurrent clients; the median
round is reported. Both servers on SQLite with one worker process; a version registration
carries a 10 KiB artifact on both (MLflow: artifact proxy upload + model-versions/create);
metric logging sends {METRICS_PER_BATCH} points per request. {machine_line()}

| workload | Maestro req/s | MLflow req/s | Maestro / MLflow | Maestro p99 ms | MLflow p99 ms |
|---|---|---|---|---|---|
{table}

Goal: at least 3x MLflow on both workloads.
"""
    print(markdown)
    write_section("registry_throughput", markdown)


if __name__ == "__main__":
    main()
