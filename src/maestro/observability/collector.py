"""State gauges read from the database at scrape time, identical on every replica.

A live in-process gauge would only know what *this* process did; quota usage, model counts and
active users are facts of the database, so they are read from it, cached for a few seconds so that
frequent scrapes do not hammer it.
"""

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from maestro.db.base import utcnow
from maestro.db.models import QuotaUsage, Tenant, User
from maestro.db.session import Database
from maestro.observability import metrics
from maestro.observability.gauge_text import GaugeRows
from maestro.services.quotas import RESOURCE_TYPES, QuotaPolicy, usage_ratio


class CachedDatabaseCollector(Collector, ABC):
    """Reads its gauges from the database at most once per `cache_seconds`.

    `exposition` renders them straight to text, also kept for the cache window, so a scrape
    inside the window costs one string concatenation; `collect` yields prometheus_client
    families of the same rows for any other consumer.
    """

    def __init__(self, db: Database, *, cache_seconds: float) -> None:
        self._db = db
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._rows: list[GaugeRows] = []
        self._read_at = float("-inf")
        self._text: dict[bool, bytes] = {}  # rendered text per format, for the cache window
        self._prefixes: dict[tuple[str, tuple[str, ...]], str] = {}  # capped in GaugeRows

    def _fresh_rows(self) -> list[GaugeRows]:
        """Called with the lock held: the cached rows, re-read once the window passed."""
        if time.monotonic() - self._read_at > self._cache_seconds:
            self._rows = self._read()
            self._read_at = time.monotonic()
            self._text.clear()
        return self._rows

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            rows = self._fresh_rows()
        for gauge in rows:
            yield gauge.family()

    def exposition(self, *, openmetrics: bool) -> bytes:
        """Every gauge in the text format (OpenMetrics if asked), without the `# EOF` line."""
        with self._lock:
            rows = self._fresh_rows()
            text = self._text.get(openmetrics)
            if text is None:
                text = self._text[openmetrics] = "".join(
                    gauge.render(self._prefixes, openmetrics=openmetrics) for gauge in rows
                ).encode()
            return text

    @abstractmethod
    def _read(self) -> list[GaugeRows]:
        """Every gauge, freshly read."""


class DatabaseStateCollector(CachedDatabaseCollector):
    def __init__(
        self,
        db: Database,
        quota_policy: QuotaPolicy,
        *,
        active_window_seconds: int,
        cache_seconds: float,
        tenant_window_seconds: int | None = None,
    ) -> None:
        super().__init__(db, cache_seconds=cache_seconds)
        self._quota_policy = quota_policy
        self._active_window = timedelta(seconds=active_window_seconds)
        # Large installs: report only tenants with a user seen in this window (None: all).
        self._tenant_window = (
            None if tenant_window_seconds is None else timedelta(seconds=tenant_window_seconds)
        )

    def _read(self) -> list[GaugeRows]:
        models = GaugeRows(metrics.MODELS_TOTAL, "Registered models per tenant.", ["tenant_id"])
        ratio = GaugeRows(
            metrics.TENANT_QUOTA_USAGE_RATIO,
            "Quota used divided by quota limit (0 when unlimited).",
            ["tenant_id", "resource_type"],
        )
        active = GaugeRows(
            metrics.TENANT_ACTIVE_USERS,
            "Users of the tenant seen in the recent activity window.",
            ["tenant_id"],
        )
        since = utcnow() - self._active_window
        tenant_query = select(Tenant.id, Tenant.slug, Tenant.quota_overrides)
        usage_query = select(QuotaUsage.tenant_id, QuotaUsage.resource_type, QuotaUsage.used)
        if self._tenant_window is not None:  # only tenants with a user seen in the window
            recent = (
                select(User.tenant_id)
                .where(User.last_seen_at >= utcnow() - self._tenant_window)
                .distinct()
                .scalar_subquery()
            )
            tenant_query = tenant_query.where(Tenant.id.in_(recent))
            usage_query = usage_query.where(QuotaUsage.tenant_id.in_(recent))
        with self._db.read_session() as session:
            tenants = session.execute(tenant_query).all()
            # Plain columns, not ORM entities: thousands of rows per scrape on large installs.
            used = {
                (tenant_id, resource): value
                for tenant_id, resource, value in session.execute(usage_query).all()
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
            models.add((slug,), used.get((tenant_id, "models"), 0))
            active.add((slug,), seen.get(tenant_id, 0))
            for resource in RESOURCE_TYPES:
                value = usage_ratio(used.get((tenant_id, resource), 0), limits[resource])
                ratio.add((slug, resource), value)
        return [models, ratio, active]
