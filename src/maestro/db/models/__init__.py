"""All ORM models; importing this package registers every table on `Base.metadata`."""

from maestro.db.base import Base
from maestro.db.models.tenancy import ApiKey, QuotaUsage, Tenant, User

__all__ = ["ApiKey", "Base", "QuotaUsage", "Tenant", "User"]
