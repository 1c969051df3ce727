"""Users, API keys and authentication.

Keys are 32 random bytes behind the `mst_` prefix, shown once and stored only as SHA-256 hashes:
a leaked database does not leak usable keys, and lookup stays a single indexed equality.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maestro.db.base import utcnow
from maestro.db.models import ApiKey, Tenant, User
from maestro.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from maestro.services.pagination import Page, paginate
from maestro.services.principal import TENANT_ROLES, Principal, Role
from maestro.services.quotas import QuotaPolicy

KEY_PREFIX = "mst_"
_VISIBLE_PREFIX_LENGTH = len(KEY_PREFIX) + 8
# Writing last_seen_at on every request would make every read a write; once a minute is plenty
# for a 15-minute activity window.
_LAST_SEEN_RESOLUTION = timedelta(seconds=60)


# Every request runs this lookup: built once, and only the columns a principal needs (no ORM
# entities to construct and track). The key is looked up afresh each time (revocation is
# immediate).
# What a principal is built from (`authenticated_user`), shared with console sessions.
PRINCIPAL_COLUMNS = (
    User.id.label("user_id"),
    User.username,
    User.role,
    User.last_seen_at,
    Tenant.id.label("tenant_id"),
    Tenant.slug.label("tenant_slug"),
    Tenant.rate_limit_rpm,
    Tenant.rate_limit_burst,
)
_AUTHENTICATE = (
    select(*PRINCIPAL_COLUMNS)
    .join(ApiKey, ApiKey.user_id == User.id)
    .outerjoin(Tenant, Tenant.id == User.tenant_id)
    .where(ApiKey.key_hash == bindparam("key_hash"), User.disabled.is_(False))
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
    def __init__(self, quota_policy: QuotaPolicy, *, max_keys_per_user: int = 20) -> None:
        self.quotas = quota_policy
        self.max_keys_per_user = max_keys_per_user

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

    def update_user(
        self,
        session: Session,
        principal: Principal,
        user_id: str,
        *,
        role: Role | None = None,
        disabled: bool | None = None,
    ) -> User:
        """Change a tenant user's role and/or disable them (owner of the tenant, or the admin).

        Disabling takes effect on the next request: authentication (keys and console sessions)
        refuses a disabled user. An owner cannot demote or disable themselves, and nobody can
        demote or disable a tenant's last enabled owner (409), so a tenant always keeps an
        owner who can undo a change.
        """
        user = self._visible_user(session, principal, user_id)
        if user.tenant_id is None:
            raise NotFound("user not found")  # the platform admin is not a tenant user
        principal.check_tenant_access(_slug_of(session, user), manage=True)
        if user.id == principal.user_id and (
            (role is not None and role is not Role(user.role)) or disabled
        ):
            raise Conflict("you cannot change your own role or disable yourself")
        if role is not None and role not in TENANT_ROLES:
            raise ValidationFailed(f"role must be one of: {', '.join(TENANT_ROLES)}")
        if (role is not None and role is not Role.OWNER) or disabled:
            self._keep_an_owner(session, user, "demote or disable")
        if role is not None:
            user.role = role.value
        if disabled is not None:
            user.disabled = disabled
        session.flush()
        return user

    def delete_user(self, session: Session, principal: Principal, user_id: str) -> None:
        """Delete a tenant user (its tenant's owner, or the admin), giving back a `users` quota.

        Its API keys and console sessions go with it (foreign-key cascade), so both stop
        authenticating at once. Deleting yourself or the tenant's last enabled owner is a 409.
        Jobs it launched keep running as before, with no creator recorded (`created_by` NULL).
        """
        user = self._visible_user(session, principal, user_id)
        if user.tenant_id is None:
            raise NotFound("user not found")  # the platform admin is not a tenant user
        principal.check_tenant_access(_slug_of(session, user), manage=True)
        if user.id == principal.user_id:
            raise Conflict("you cannot delete yourself", details={"reason": "self"})
        self._keep_an_owner(session, user, "delete")
        tenant_id = user.tenant_id
        deleted = session.execute(
            delete(User)
            .where(User.id == user.id, User.tenant_id == tenant_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.expunge(user)
        if deleted != 1:  # a concurrent delete got there first
            raise NotFound("user not found")
        self.quotas.release(session, tenant_id, "users")

    def _keep_an_owner(self, session: Session, user: User, action: str) -> None:
        """Refuse (409) to take away the last enabled owner of `user`'s tenant.

        The tenant's enabled owners are locked (FOR UPDATE, in id order) before counting, so of
        two concurrent demotions or deletions of its last two owners the second waits, then
        counts again without the first (PostgreSQL re-checks locked rows against the WHERE
        clause); SQLite serializes writers anyway. Whether the target is one of them is read
        under the lock too, not from the possibly stale `user`.
        """
        owners = session.scalars(
            select(User.id)
            .where(
                User.tenant_id == user.tenant_id,
                User.role == Role.OWNER.value,
                User.disabled.is_(False),
            )
            .order_by(User.id)
            .with_for_update()
        ).all()
        if user.id in owners and len(owners) == 1:
            raise Conflict(
                f"cannot {action} the last enabled owner of the tenant; make another user "
                "owner first",
                details={"reason": "last_owner"},
            )

    def get_user(self, session: Session, principal: Principal, user_id: str) -> User:
        """A user of the caller's tenant, for its owner (or the admin); others' do not exist."""
        user = self._visible_user(session, principal, user_id)
        if user.id != principal.user_id and not principal.is_admin:
            principal.check_tenant_access(_slug_of(session, user), manage=True)
        return user

    def list_keys(self, session: Session, principal: Principal, user_id: str) -> list[ApiKey]:
        """A user's keys (prefix and name only; the key itself is never stored)."""
        user = self.get_user(session, principal, user_id)
        return list(
            session.scalars(
                select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.created_at)
            )
        )

    def create_platform_admin(self, session: Session, username: str, key: str | None) -> IssuedKey:
        """First-start bootstrap: the admin user and its key (a given one, or a new random one)."""
        admin = session.scalar(select(User).where(User.role == Role.ADMIN.value))
        if admin is None:
            admin = User(tenant_id=None, username=username, role=Role.ADMIN.value)
            session.add(admin)
            session.flush()
        return self._issue_key(session, admin, "bootstrap", key or generate_key())

    def rotate_platform_admin_key(self, session: Session) -> IssuedKey:
        """A lost admin key's way back (`maestro admin bootstrap --rotate`, run on the server's
        host): every key of the platform admin is revoked and one new key is issued."""
        admin = session.scalar(select(User).where(User.role == Role.ADMIN.value))
        if admin is None:
            raise NotFound("there is no platform admin yet; bootstrap one first")
        session.execute(delete(ApiKey).where(ApiKey.user_id == admin.id))
        return self._issue_key(session, admin, "bootstrap", generate_key())

    def has_platform_admin(self, session: Session) -> bool:
        return session.scalar(select(User.id).where(User.role == Role.ADMIN.value)) is not None

    # --- keys --------------------------------------------------------------------------------

    def create_key(
        self, session: Session, principal: Principal, user_id: str, name: str
    ) -> IssuedKey:
        user = self._visible_user(session, principal, user_id)
        if user.id != principal.user_id and not principal.is_admin:
            principal.check_tenant_access(_slug_of(session, user), manage=True)
        self._check_key_cap(session, user)
        return self._issue_key(session, user, name, generate_key())

    def _check_key_cap(self, session: Session, user: User) -> None:
        """At most `max_keys_per_user` keys a user; the user row is locked so two concurrent
        creates cannot both take the last one (SQLite serializes writers anyway)."""
        session.execute(select(User.id).where(User.id == user.id).with_for_update())
        count = session.scalar(select(func.count()).where(ApiKey.user_id == user.id)) or 0
        if count >= self.max_keys_per_user:
            raise Conflict(
                f"user already has {count} API keys, the most allowed; delete one first",
                details={"limit": self.max_keys_per_user, "used": count},
            )

    def delete_key(self, session: Session, principal: Principal, key_id: str) -> None:
        api_key = session.get(ApiKey, key_id)
        # Same answer whether the key is missing or another tenant's: ids reveal nothing.
        missing = f"api key {key_id!r}"
        if api_key is None:
            raise NotFound(f"{missing} not found")
        owner = self._visible_user(session, principal, api_key.user_id, missing=missing)
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
        return authenticated_user(row)

    def touch(self, session: Session, user_id: str) -> None:
        """Record activity for `maestro_tenant_active_users`."""
        session.execute(update(User).where(User.id == user_id).values(last_seen_at=utcnow()))


def authenticated_user(row: Row[Any]) -> AuthenticatedUser:
    """The caller described by a row of `PRINCIPAL_COLUMNS`."""
    last_seen = row.last_seen_at
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
        last_seen_is_stale=last_seen is None or utcnow() - last_seen > _LAST_SEEN_RESOLUTION,
    )


def _tenant_by_slug(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(f"tenant {slug!r} not found")
    return tenant


def _slug_of(session: Session, user: User) -> str:
    tenant = session.get(Tenant, user.tenant_id) if user.tenant_id else None
    return tenant.slug if tenant else ""
