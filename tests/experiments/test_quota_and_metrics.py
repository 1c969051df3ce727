"""The `experiments` quota under concurrency, and `maestro_ml_experiments_total`."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from maestro.client import ConflictError, QuotaExceededError
from maestro.db.models import Experiment
from tests.support.metrics import scrape, value
from tests.support.usage import usage_everywhere


def test_concurrent_creates_never_exceed_the_quota_and_deletes_release_it(server, make_tenant):
    tenant = make_tenant(quotas={"experiments": 5})

    def create(i: int) -> str:
        with tenant.client() as client:
            try:
                return client.create_experiment(f"run-{i}")["id"]
            except QuotaExceededError:
                return "refused"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(create, range(20)))

    created = [o for o in outcomes if o != "refused"]
    assert len(created) == 5
    with server.app.state.ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Experiment)) == 5
    with tenant.client() as owner:
        assert usage_everywhere(server, owner, tenant.slug, "experiments") == 5
        owner.finish_experiment(created[0])  # finishing keeps the quota; deleting releases it
        assert usage_everywhere(server, owner, tenant.slug, "experiments") == 5
        owner.delete_experiment(created[0])
        owner.delete_experiment(created[1])
        assert usage_everywhere(server, owner, tenant.slug, "experiments") == 3
        owner.create_experiment("fits-again")
        assert usage_everywhere(server, owner, tenant.slug, "experiments") == 4


def test_experiments_total_counts_starts_and_terminal_statuses(server, make_tenant):
    slug = f"metrics-{uuid.uuid4().hex[:8]}"  # counters are process-wide; a fresh label set
    tenant = make_tenant(slug, quotas={"experiments": 4})
    with tenant.client() as owner:
        ids = [owner.create_experiment(f"run-{i}")["id"] for i in range(4)]
        owner.finish_experiment(ids[0], "completed")
        owner.finish_experiment(ids[1], "completed")
        owner.finish_experiment(ids[2], "failed")
        with pytest.raises(ConflictError):
            owner.finish_experiment(ids[2], "cancelled")  # a refused transition counts nothing
        with pytest.raises(QuotaExceededError):
            owner.create_experiment("over-quota")  # a refused create is not `started`

    samples = scrape(server.url)
    counts = {
        status: value(samples, "maestro_ml_experiments_total", tenant_id=slug, status=status)
        for status in ("started", "completed", "failed", "cancelled")
    }
    assert counts == {"started": 4, "completed": 2, "failed": 1, "cancelled": 0}
