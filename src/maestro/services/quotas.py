"""Per-tenant quotas: limits from settings and overrides, atomic check-and-consume, release.

Consumption is a single conditional UPDATE inside the caller's transaction. On PostgreSQL a
concurrent UPDATE of the same row waits for the first to commit and re-checks the condition; on
SQLite the write transaction is serialized (BEGIN IMMEDIATE). Either way N concurrent creates
against a quota of K never succeed more than K times, and a create that fails later in the same
transaction rolls its consumption back with it.
"""

from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import BigInteger, bindparam, case, select, update
from sqlalchemy.orm import Session

from maestro.db.models import QuotaUsage, Tenant
from maestro.errors import QuotaExceeded
from maestro.settings import QuotaDefaults

ResourceType = Literal[
    "models",
    "experiments",
    "datasets",
    "storage_bytes",
    "concurrent_training_jobs",
    "users",
    "deployments",
]
RESOURCE_TYPES: tuple[str, ...] = get_args(ResourceType)


# consume() runs in every creating transaction: its statements are built once.
_OVERRIDES = select(Tenant.quota_overrides).where(Tenant.id == bindparam("b_tenant"))
_CONSUME = (
    update(QuotaUsage)
    .where(
        QuotaUsage.tenant_id == bindparam("b_tenant"),
        QuotaUsage.resource_type == bindparam("b_resource"),
    )
    .values(used=QuotaUsage.used + bindparam("b_amount", type_=BigInteger()))
)
_CONSUME_WITHIN = _CONSUME.where(
    QuotaUsage.used + bindparam("b_amount", type_=BigInteger())
    <= bindparam("b_limit", type_=BigInteger())
)
# Plain UPDATEs; _expire_loaded keeps any usage row loaded in the session correct instead.
_CORE = {"synchronize_session": False}


def _expire_loaded(session: Session, tenant_id: str, resource_type: str) -> None:
    """Make a usage row this session already holds reload its `used` (we changed it in SQL)."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, QuotaUsage):
            loaded = obj.__dict__  # no attribute access: an expired row must not load here
            if loaded.get("tenant_id") == tenant_id and loaded.get("resource_type") in (
                resource_type,
                None,
            ):
                session.expire(obj, ["used"])


def usage_ratio(used: int, limit: int | None) -> float:
    if limit is None:
        return 0.0
    if limit <= 0:
        return 1.0 if used > 0 else 0.0
    return used / limit


@dataclass(frozen=True)
class ResourceUsage:
    used: int
    limit: int | None

    @property
    def ratio(self) -> float:
        return usage_ratio(self.used, self.limit)


class QuotaPolicy:
    def __init__(self, defaults: QuotaDefaults) -> None:
        self._defaults = {name: getattr(defaults, name) for name in RESOURCE_TYPES}

    def limits(self, overrides: dict[str, Any] | None) -> dict[str, int | None]:
        merged = dict(self._defaults)
        merged.update({k: v for k, v in (overrides or {}).items() if k in merged})
        return merged

    def initialise(self, session: Session, tenant: Tenant) -> None:
        """Create the zeroed usage rows a new tenant needs, so every consume is an UPDATE."""
        session.add_all(
            QuotaUsage(tenant_id=tenant.id, resource_type=r, used=0) for r in RESOURCE_TYPES
        )

    def consume(
        self, session: Session, tenant_id: str, resource_type: str, amount: int = 1
    ) -> None:
        """Take `amount` of the resource inside the caller's transaction, or raise QuotaExceeded."""
        if resource_type not in RESOURCE_TYPES:
            raise ValueError(f"unknown quota resource {resource_type!r}")
        overrides = session.scalar(_OVERRIDES, {"b_tenant": tenant_id})
        limit = self.limits(overrides)[resource_type]
        params = {"b_tenant": tenant_id, "b_resource": resource_type, "b_amount": amount}
        if limit is None:
            result = session.execute(_CONSUME, params, execution_options=_CORE)
        else:
            params["b_limit"] = limit
            result = session.execute(_CONSUME_WITHIN, params, execution_options=_CORE)
        if result.rowcount == 1:
            _expire_loaded(session, tenant_id, resource_type)
            return
        used = session.scalar(
            select(QuotaUsage.used).where(
                QuotaUsage.tenant_id == tenant_id, QuotaUsage.resource_type == resource_type
            )
        )
        raise QuotaExceeded(resource_type, limit if limit is not None else 0, used or 0)

    def release(
        self, session: Session, tenant_id: str, resource_type: str, amount: int = 1
    ) -> None:
        """Give back what a deleted or failed resource held (never below zero)."""
        session.execute(
            update(QuotaUsage)
            .where(QuotaUsage.tenant_id == tenant_id, QuotaUsage.resource_type == resource_type)
            .values(used=case((QuotaUsage.used >= amount, QuotaUsage.used - amount), else_=0))
        )

    def usage(self, session: Session, tenant: Tenant) -> dict[str, ResourceUsage]:
        limits = self.limits(tenant.quota_overrides)
        used = dict(
            session.execute(
                select(QuotaUsage.resource_type, QuotaUsage.used).where(
                    QuotaUsage.tenant_id == tenant.id
                )
            ).all()
        )
        return {r: ResourceUsage(used=used.get(r, 0), limit=limits[r]) for r in RESOURCE_TYPES}
