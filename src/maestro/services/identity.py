"""Users, API keys and authentication.

Keys are 32 random bytes behind the `mst_` prefix, shown once and stored only as SHA-256 hashes:
a leaked database does not leak usable keys, and lookup stays a single indexed equality.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maestro.db.base import utcnow
from maestro.db.models import ApiKey, Tenant, User
from maestro.errors import Conflict, NotFound, Unauthenticated
from maestro.services.pagination import Page, paginate
from maestro.services.principal import Principal, Role
from maestro.services.quotas import QuotaPolicy

KEY_PREFIX = "mst_"
_VISIBLE_PREFIX_LENGTH = len(KEY_PREFIX) + 8
# Writing last_seen_at on every request would make every read a write; once a minute is plenty
# for a 15-minute activity window.
_LAST_SEEN_RESOLUTION = timedelta(seconds=60)


# Every request runs this lookup: built once, and only the columns a principal needs (no ORM
# entities to construct and track). The key is looked up afresh each time (revocation is
# immediate).
_AUTHENTICATE = (
    select(
        User.id.label("user_id"),
        User.username,
        User.role,
        User.last_seen_at,
        Tenant.id.label("tenant_id"),
        Tenant.slug.label("tenant_slug"),
        Tenant.rate_limit_rpm,
        Tenant.rate_limit_burst,
    )
    .join(ApiKey, ApiKey.user_id == User.id)
    .outerjoin(Tenant, Tenant.id == User.tenant_id)
    .where(ApiKey.key_hash == bindparam("key_hash"))
)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedKey:
    """The only object that ever holds a key in clear; returned once to the caller."""

    id: str
    key: str
    prefix: str
    name: str
    user_id: str


@dataclass(frozen=True)
class AuthenticatedUser:
    principal: Principal
    rate_limit_rpm: int | None
    rate_limit_burst: int | None
    last_seen_is_stale: bool


class IdentityService:
    def __init__(self, quota_policy: QuotaPolicy) -> None:
        self.quotas = quota_policy

    # --- users -------------------------------------------------------------------------------

    def create_user(
        self, session: Session, principal: Principal, tenant_slug: str, username: str, role: Role
    ) -> User:
        principal.check_tenant_access(tenant_slug, manage=True)
        tenant = _tenant_by_slug(session, tenant_slug)
        if session.scalar(
            select(User.id).where(User.tenant_id == tenant.id, User.username == username)
        ):
            raise Conflict(f"user {username!r} already exists in tenant {tenant_slug!r}")
        self.quotas.consume(session, tenant.id, "users")
        user = User(tenant_id=tenant.id, username=username, role=role.value)
        session.add(user)
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict(f"user {username!r} already exists in tenant {tenant_slug!r}") from exc
        user.tenant = tenant
        return user

    def list_users(
        self,
        session: Session,
        principal: Principal,
        tenant_slug: str,
        *,
        limit: int,
        cursor: str | None,
    ) -> Page[User]:
        principal.check_tenant_access(tenant_slug)
        tenant = _tenant_by_slug(session, tenant_slug)
        return paginate(
            session,
            select(User).where(User.tenant_id == tenant.id),
            created_at=User.created_at,
            row_id=User.id,
            limit=limit,
            cursor=cursor,
        )

    def create_platform_admin(self, session: Session, username: str, key: str | None) -> IssuedKey:
        """First-start bootstrap: the admin user and its key (a given one, or a new random one)."""
        admin = session.scalar(select(User).where(User.role == Role.ADMIN.value))
        if admin is None:
            admin = User(tenant_id=None, username=username, role=Role.ADMIN.value)
            session.add(admin)
            session.flush()
        return self._issue_key(session, admin, "bootstrap", key or generate_key())

    def has_platform_admin(self, session: Session) -> bool:
        return session.scalar(select(User.id).where(User.role == Role.ADMIN.value)) is not None

    # --- keys --------------------------------------------------------------------------------

    def create_key(
        self, session: Session, principal: Principal, user_id: str, name: str
    ) -> IssuedKey:
        user = self._visible_user(session, principal, user_id)
        if user.id != principal.user_id and not principal.is_admin:
            principal.check_tenant_access(_slug_of(session, user), manage=True)
        return self._issue_key(session, user, name, generate_key())

    def delete_key(self, session: Session, principal: Principal, key_id: str) -> None:
        api_key = session.get(ApiKey, key_id)
        if api_key is None:
            raise NotFound(f"api key {key_id!r} not found")
        owner = self._visible_user(session, principal, api_key.user_id, missing="api key")
        if owner.id != principal.user_id and not principal.is_admin:
            principal.check_tenant_access(_slug_of(session, owner), manage=True)
        session.delete(api_key)

    def _issue_key(self, session: Session, user: User, name: str, key: str) -> IssuedKey:
        existing = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
        if existing is not None:
            if existing.user_id != user.id:
                raise Conflict("that key is already in use")
            return IssuedKey(existing.id, key, existing.prefix, existing.name, user.id)
        record = ApiKey(
            user_id=user.id, name=name, prefix=key[:_VISIBLE_PREFIX_LENGTH], key_hash=hash_key(key)
        )
        session.add(record)
        session.flush()
        return IssuedKey(record.id, key, record.prefix, name, user.id)

    def _visible_user(
        self, session: Session, principal: Principal, user_id: str, *, missing: str = "user"
    ) -> User:
        """The user, if the caller may see it; another tenant's user does not exist for them."""
        user = session.get(User, user_id)
        if user is None or not (principal.is_admin or user.tenant_id == principal.tenant_id):
            raise NotFound(f"{missing} not found")
        return user

    # --- authentication ----------------------------------------------------------------------

    def authenticate(self, session: Session, key: str) -> AuthenticatedUser:
        """Resolve a key with reads only; `touch` afterwards when `last_seen_is_stale`."""
        row = session.execute(_AUTHENTICATE, {"key_hash": hash_key(key)}).first()
        if row is None:
            raise Unauthenticated("invalid API key")
        last_seen = row.last_seen_at
        stale = last_seen is None or utcnow() - last_seen > _LAST_SEEN_RESOLUTION
        principal = Principal(
            user_id=row.user_id,
            username=row.username,
            role=Role(row.role),
            tenant_id=row.tenant_id,
            tenant_slug=row.tenant_slug,
        )
        return AuthenticatedUser(
            principal=principal,
            rate_limit_rpm=row.rate_limit_rpm,
            rate_limit_burst=row.rate_limit_burst,
            last_seen_is_stale=stale,
        )

    def touch(self, session: Session, user_id: str) -> None:
        """Record activity for `maestro_tenant_active_users`."""
        session.execute(update(User).where(User.id == user_id).values(last_seen_at=utcnow()))


def _tenant_by_slug(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(f"tenant {slug!r} not found")
    return tenant


def _slug_of(session: Session, user: User) -> str:
    tenant = session.get(Tenant, user.tenant_id) if user.tenant_id else None
    return tenant.slug if tenant else ""
