"""Console page latency with a big tenant: 1,000 models, 10,000 experiments, 100 datasets.

A real `maestro serve` (SQLite, one worker) holds one tenant seeded straight into its database
(the API would take minutes to create this much; the pages only read it): 1,000 models with a
version each, 10,000 experiments with two metrics of ten steps each (200,000 points), 100 datasets
with 12 columns and a 20-row preview, and 500 finished training jobs. One signed-in client then
requests every console page sequentially over loopback; the latency it sees is an upper bound on
the server's render time. The baseline is the JSON API endpoint listing the same rows, measured
in the same run, so the ratio says what the HTML costs over the data it shows.

Goal: every page under 150 ms at p95. Run: `python benchmarks/console_pages.py`.
"""

import html
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).parent))

from maestro.client import MaestroClient
from maestro.db.base import new_id, utcnow
from maestro.db.models import (
    Dataset,
    Experiment,
    Job,
    LatestMetric,
    MetricPoint,
    ModelVersion,
    RegisteredModel,
)
from maestro.db.models import Tenant as TenantRow
from maestro.db.session import Database

from _results import machine_line, write_section
from _servers import ADMIN_KEY, maestro_server

MODELS, EXPERIMENTS, DATASETS, JOBS = 1_000, 10_000, 100, 500
METRICS, STEPS = ("loss", "accuracy"), 10
WARMUP, REQUESTS = 5, 60
GOAL_MS = 150.0
BY_METRIC = "/experiments?sort=metrics.accuracy&order=desc"
POINTS = EXPERIMENTS * len(METRICS) * STEPS


def seed(db: Database, slug: str, user_id: str) -> dict[str, str]:
    """Insert the tenant's rows in bulk; returns ids of one of each for the detail pages."""
    now = utcnow()
    with db.session() as session:
        tenant_id = session.scalar(select(TenantRow.id).where(TenantRow.slug == slug))
        models, versions = [], []
        for i in range(MODELS):
            model_id = new_id()
            created = now - timedelta(seconds=MODELS - i)
            models.append(
                {
                    "id": model_id,
                    "tenant_id": tenant_id,
                    "name": f"model-{i:04d}",
                    "description": f"Model number {i}",
                    "tags": {"team": f"team-{i % 7}"},
                    "latest_version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            versions.append(
                {
                    "id": new_id(),
                    "tenant_id": tenant_id,
                    "model_id": model_id,
                    "version": 1,
                    "format": "skops",
                    "storage_key": f"bench/{model_id}",
                    "size_bytes": 10_240,
                    "sha256": "0" * 64,
                    "metadata_": {},
                    "created_by": user_id,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        session.execute(insert(RegisteredModel), models)
        session.execute(insert(ModelVersion), versions)
        experiments, points = [], []
        for i in range(EXPERIMENTS):
            experiment_id = new_id()
            created = now - timedelta(seconds=EXPERIMENTS - i)
            experiments.append(
                {
                    "id": experiment_id,
                    "tenant_id": tenant_id,
                    "name": f"run-{i:05d}",
                    "group": f"group-{i % 20}",
                    "status": "completed",
                    "params": {"max_depth": i % 10, "lr": 0.01 * (i % 5 + 1)},
                    "tags": {"sweep": f"s{i % 50}"},
                    "created_by": user_id,
                    "created_at": created,
                    "updated_at": created,
                    "finished_at": created,
                }
            )
            for name in METRICS:
                points.extend(
                    {
                        "tenant_id": tenant_id,
                        "experiment_id": experiment_id,
                        "name": name,
                        "step": step,
                        "value": 1.0 / (step + 1 + i % 3),
                        "timestamp": created,
                    }
                    for step in range(STEPS)
                )
        session.execute(insert(Experiment), experiments)
        session.execute(insert(MetricPoint), points)
        last_step = STEPS - 1  # what log_metrics keeps for sorting: each series' last point
        latest = [
            {k: p[k] for k in ("experiment_id", "name", "step", "value", "timestamp")}
            for p in points
            if p["step"] == last_step
        ]
        session.execute(insert(LatestMetric), latest)
        columns = [{"name": f"col_{c}", "dtype": "Float64"} for c in range(12)]
        preview = [{f"col_{c}": float(r * c) for c in range(12)} for r in range(20)]
        datasets = []
        for i in range(DATASETS):
            created = now - timedelta(seconds=DATASETS - i)
            datasets.append(
                {
                    "id": new_id(),
                    "tenant_id": tenant_id,
                    "name": f"dataset-{i:03d}",
                    "description": "Benchmark data",
                    "format": "csv",
                    "storage_key": f"bench/dataset-{i}",
                    "size_bytes": 1_000_000,
                    "sha256": "0" * 64,
                    "rows": 10_000,
                    "columns": columns,
                    "preview": preview,
                    "created_by": user_id,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        session.execute(insert(Dataset), datasets)
        jobs = []
        for i in range(JOBS):
            created = now - timedelta(seconds=JOBS - i)
            jobs.append(
                {
                    "id": new_id(),
                    "tenant_id": tenant_id,
                    "created_by": user_id,
                    "kind": "training",
                    "status": "succeeded",
                    "payload": {
                        "dataset_id": datasets[i % DATASETS]["id"],
                        "target": "col_0",
                        "algorithm": "random_forest",
                    },
                    "result": {"model": f"model-{i % MODELS:04d}", "model_version": 1},
                    "progress": {"stage": "done", "percent": 100.0},
                    "attempts": 1,
                    "max_attempts": 3,
                    "created_at": created,
                    "updated_at": created,
                    "started_at": created,
                    "finished_at": created,
                }
            )
        session.execute(insert(Job), jobs)
    return {
        "model": models[MODELS // 2]["name"],
        "experiment": experiments[EXPERIMENTS // 2]["id"],
        "compare": "&".join(f"ids={e['id']}" for e in experiments[-5:]),
        "dataset": datasets[DATASETS // 2]["id"],
        "job": jobs[JOBS // 2]["id"],
    }


def sign_in(url: str, key: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"api_key": key, "csrf_token": token})
    assert response.status_code == 303, response.text
    return client


def timings(client: httpx.Client, path: str) -> list[float]:
    for _ in range(WARMUP):
        client.get(path).raise_for_status()
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
    return samples


def template(path: str) -> str:
    """The page's path with ids as placeholders (and a sort it asks for), for the results table."""
    path, _, query = path.partition("?")
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "{id}", path)
    sort = re.search(r"sort=[^&]+(&order=\w+)?", query)
    if sort:
        path += "?" + sort.group(0) + ("&cursor=..." if "cursor=" in query else "")
    return re.sub(r"model-\d{4}", "{name}", path)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> int:
    load = os.getloadavg()[0]  # these machines are shared: say how busy this one was
    with tempfile.TemporaryDirectory() as tmp, maestro_server(Path(tmp)) as url:
        with MaestroClient(url, api_key=ADMIN_KEY) as admin:
            unlimited = ("models", "experiments", "datasets", "storage_bytes", "deployments")
            admin.create_tenant(
                "bench",
                "Benchmark",
                quotas=dict.fromkeys(unlimited),
                rate_limit={"requests_per_minute": 1_000_000, "burst": 100_000},
            )
            owner = admin.create_user("bench", "owner", "owner")
            key = admin.create_api_key(owner["id"], "bench")["key"]
        db = Database(f"sqlite:///{Path(tmp) / 'maestro' / 'maestro.db'}")
        started = time.perf_counter()
        ids = seed(db, "bench", owner["id"])
        db.dispose()
        seeded = time.perf_counter() - started
        pages = [
            ("home", "/", None),
            ("models", "/models", "/api/v1/models?limit=50"),
            ("models, searched", "/models?q=model-09", None),
            ("model", f"/models/{ids['model']}", f"/api/v1/models/{ids['model']}"),
            ("version", f"/models/{ids['model']}/versions/1", None),
            ("experiments", "/experiments", "/api/v1/experiments?limit=50"),
            ("experiments, filtered", "/experiments?group=group-3&tag=sweep%3Ds3", None),
            ("experiments by name", "/experiments?sort=name&order=asc", None),
            ("experiments by param", "/experiments?sort=params.lr&order=desc", None),
            ("experiments by metric", BY_METRIC, None),
            ("experiment", f"/experiments/{ids['experiment']}", None),
            ("compare 5", f"/experiments/compare?{ids['compare']}", None),
            ("datasets", "/datasets", "/api/v1/datasets?limit=50"),
            ("dataset", f"/datasets/{ids['dataset']}", f"/api/v1/datasets/{ids['dataset']}"),
            ("jobs", "/jobs", "/api/v1/training-jobs?limit=50"),
            ("jobs, live rows", "/jobs/rows", None),
            ("job", f"/jobs/{ids['job']}", f"/api/v1/training-jobs/{ids['job']}"),
            ("users", "/admin/users", None),
        ]
        api = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {key}"})
        rows = []
        console = sign_in(url, key)
        # The second page of a sort by a metric's last value: its keyset repeats the sort key.
        second = re.search(r'href="([^"]*cursor=[^"]+)"', console.get(BY_METRIC).text).group(1)
        pages.insert(
            pages.index(("experiments by metric", BY_METRIC, None)) + 1,
            (
                "experiments by metric, page 2",
                httpx.URL(html.unescape(second)).raw_path.decode(),
                None,
            ),
        )
        for name, path, baseline in pages:
            page = timings(console, path)
            base = timings(api, baseline) if baseline else None
            rows.append((name, path, page, base))
            print(f"{name:24} p50 {statistics.median(page):6.1f} ms  p95 {p95(page):6.1f} ms")
        admin_console = sign_in(url, ADMIN_KEY)
        rows.append(
            ("tenants (admin)", "/admin/tenants", timings(admin_console, "/admin/tenants"), None)
        )
        for client in (console, admin_console, api):
            client.close()
    worst = max(p95(r[2]) for r in rows)
    table = "\n".join(
        f"| {name} | `{template(path)}` | {statistics.median(page):.1f} | {p95(page):.1f} | "
        + (f"{p95(base):.1f} | {p95(page) / p95(base):.1f}x |" if base else "- | - |")
        for name, path, page, base in rows
    )
    write_section(
        "console_pages",
        f"""## Console page latency with a big tenant

`benchmarks/console_pages.py`: one tenant with {MODELS:,} models (one version each),
{EXPERIMENTS:,} experiments ({len(METRICS)} metrics x {STEPS} steps: {POINTS:,} points),
{DATASETS} datasets and {JOBS} training jobs, seeded in {seeded:.1f} s; `maestro serve`
on SQLite with one worker; {REQUESTS} sequential requests per page from one signed-in client after
{WARMUP} warm-up requests (loopback latency, an upper bound on server render time). Baseline: the
JSON API endpoint for the same rows, same run. {machine_line()}
Load average (1 min) when the run started: {load:.1f}.

| page | path | p50 ms | p95 ms | API p95 ms | page / API |
|---|---|---|---|---|---|
{table}

Goal: every page under {GOAL_MS:.0f} ms at p95 (lists paginate, 50 rows). Result: the slowest
page's p95 is {worst:.1f} ms; {"every page meets the goal" if worst < GOAL_MS else "NOT MET"}.
A sort by a metric's last value reads one row per experiment of the tenant ({EXPERIMENTS:,}
here) from the last points `log_metrics` keeps, before it can order them.
""",
    )
    return 0 if worst < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
