"""Under gunicorn with 2 uvicorn workers, /metrics reports the sum of both workers' counts."""

import glob
import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict

from tests.jobs.conftest import wait_until
from tests.support.metrics import scrape, value
from tests.support.processes import maestro_env, maestro_serve

pytestmark = pytest.mark.slow


def unmatched_counts_per_worker(multiproc_dir: str) -> dict[str, float]:
    """Read each worker's own counter file directly, as prometheus_client stores it."""
    counts: dict[str, float] = defaultdict(float)
    for path in glob.glob(os.path.join(multiproc_dir, "counter_*.db")):
        pid = os.path.basename(path).removeprefix("counter_").removesuffix(".db")
        mmap = MmapedDict(path, read_mode=True)
        try:
            for key, count, _timestamp in mmap.read_all_values():
                if '"maestro_http_requests_total"' in key and '"unmatched"' in key:
                    counts[pid] += count
        finally:
            mmap.close()
    return dict(counts)


def test_counts_from_both_gunicorn_workers_add_up(tmp_path):
    multiproc_dir = tmp_path / "prom"
    env = maestro_env(tmp_path / "data", PROMETHEUS_MULTIPROC_DIR=str(multiproc_dir))

    with maestro_serve(tmp_path / "data", "--workers", "2", env=env) as server:

        def hit(_: int) -> int:
            # A new connection per request, so both workers' accept loops get traffic.
            # An unknown path: counted (probes and /metrics are not), never rate limited.
            url = f"{server.url}/no-such-page"
            return httpx.get(url, headers={"Connection": "close"}, timeout=30).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(hit, range(300)))
        # A request is counted once its response is sent, so the last ones can land in the
        # workers' files just after the client has its answer.
        per_worker = wait_until(
            lambda: _all_counted(str(multiproc_dir), 300), 10, "300 requests in the files"
        )
        scraped = value(
            scrape(server.url),
            "maestro_http_requests_total",
            method="GET",
            endpoint="unmatched",
            status="404",
            tenant_id="anonymous",
        )

    assert statuses.count(404) == 300
    assert len(per_worker) == 2, per_worker
    assert all(count > 0 for count in per_worker.values()), per_worker
    assert scraped == sum(per_worker.values()) == 300


def _all_counted(multiproc_dir: str, expected: int) -> dict[str, float] | None:
    counts = unmatched_counts_per_worker(multiproc_dir)
    return counts if sum(counts.values()) >= expected else None
