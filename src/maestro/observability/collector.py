"""State gauges read from the database at scrape time, identical on every replica.

A live in-process gauge would only know what *this* process did; quota usage, model counts and
active users are facts of the database, so they are read from it, cached for a few seconds so that
frequent scrapes do not hammer it.
"""

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from maestro.db.base import utcnow
from maestro.db.models import QuotaUsage, Tenant, User
from maestro.db.session import Database
from maestro.observability import metrics
from maestro.services.quotas import RESOURCE_TYPES, QuotaPolicy, usage_ratio


class DatabaseStateCollector(Collector):
    def __init__(
        self,
        db: Database,
        quota_policy: QuotaPolicy,
        *,
        active_window_seconds: int,
        cache_seconds: float,
    ) -> None:
        self._db = db
        self._quota_policy = quota_policy
        self._active_window = timedelta(seconds=active_window_seconds)
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._cached_at = float("-inf")

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() - self._cached_at > self._cache_seconds:
                self._cached = self._read()
                self._cached_at = time.monotonic()
            yield from self._cached

    def _read(self) -> list[Metric]:
        models = GaugeMetricFamily(
            metrics.MODELS_TOTAL, "Registered models per tenant.", labels=["tenant_id"]
        )
        ratio = GaugeMetricFamily(
            metrics.TENANT_QUOTA_USAGE_RATIO,
            "Quota used divided by quota limit (0 when unlimited).",
            labels=["tenant_id", "resource_type"],
        )
        active = GaugeMetricFamily(
            metrics.TENANT_ACTIVE_USERS,
            "Users of the tenant seen in the recent activity window.",
            labels=["tenant_id"],
        )
        since = utcnow() - self._active_window
        with self._db.session() as session:
            tenants = session.execute(select(Tenant.id, Tenant.slug, Tenant.quota_overrides)).all()
            used = {
                (row.tenant_id, row.resource_type): row.used
                for row in session.execute(select(QuotaUsage)).scalars().all()
            }
            seen = dict(
                session.execute(
                    select(User.tenant_id, func.count())
                    .where(User.last_seen_at >= since, User.tenant_id.is_not(None))
                    .group_by(User.tenant_id)
                ).all()
            )
        for tenant_id, slug, overrides in tenants:
            limits = self._quota_policy.limits(overrides)
            models.add_metric([slug], used.get((tenant_id, "models"), 0))
            active.add_metric([slug], seen.get(tenant_id, 0))
            for resource in RESOURCE_TYPES:
                value = usage_ratio(used.get((tenant_id, resource), 0), limits[resource])
                ratio.add_metric([slug, resource], value)
        return [models, ratio, active]
