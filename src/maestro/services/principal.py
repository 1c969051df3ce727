"""Who is calling: the authenticated user, their role and tenant, and what that role may do."""

from dataclasses import dataclass
from enum import StrEnum

from maestro.errors import Forbidden, NotFound


class Role(StrEnum):
    ADMIN = "admin"
    OWNER = "owner"
    MEMBER = "member"
    VIEWER = "viewer"


TENANT_ROLES = (Role.OWNER, Role.MEMBER, Role.VIEWER)


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    role: Role
    tenant_id: str | None  # internal id; None for the platform admin
    tenant_slug: str | None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("this operation needs the platform admin role")

    def require_tenant(self) -> str:
        """The caller's tenant id, for tenant-scoped resources (models, datasets, ...)."""
        if self.tenant_id is None:
            raise Forbidden("the platform admin has no tenant; use a tenant user's key")
        return self.tenant_id

    def require_write(self) -> None:
        if self.role is Role.VIEWER:
            raise Forbidden("viewers have read-only access")

    def check_tenant_access(self, tenant_slug: str, *, manage: bool = False) -> None:
        """Admins reach every tenant; others only their own, and anything else does not exist.

        `manage` is for user and key administration, which needs the owner role.
        """
        if self.is_admin:
            return
        if self.tenant_slug != tenant_slug:
            raise NotFound(f"tenant {tenant_slug!r} not found")
        if manage and self.role is not Role.OWNER:
            raise Forbidden("managing users and keys needs the owner role")
