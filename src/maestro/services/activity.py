"""What happened lately in a tenant, newest first, for the console's home page."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from maestro.db.models import ModelVersion, RegisteredModel
from maestro.services.principal import Principal


@dataclass(frozen=True)
class RecentVersion:
    model_name: str
    version: int
    format: str
    created_at: datetime


def recent_versions(session: Session, principal: Principal, limit: int = 5) -> list[RecentVersion]:
    """The tenant's latest registered model versions (across all models)."""
    rows = session.execute(
        select(
            RegisteredModel.name,
            ModelVersion.version,
            ModelVersion.format,
            ModelVersion.created_at,
        )
        .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
        .where(ModelVersion.tenant_id == principal.require_tenant())
        .order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
        .limit(limit)
    ).all()
    return [RecentVersion(r.name, r.version, r.format, r.created_at) for r in rows]
