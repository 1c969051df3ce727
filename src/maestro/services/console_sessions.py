"""Web console sessions: sign in with an API key, then a revocable server-side session.

The browser holds only a random 32-byte token (in an HttpOnly cookie); the table stores its
SHA-256, so a leaked database yields no usable session, and the API key itself never leaves the
sign-in request. Every request resolves the session afresh against its key and user: revoking
the key or deleting the user deletes the session (foreign-key cascade), and a disabled user or an
expired session is refused by the same one-row query, so none of them outlives the next click.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from maestro.db.base import utcnow
from maestro.db.models import ApiKey, ConsoleSession, Tenant, User
from maestro.errors import Unauthenticated
from maestro.services.identity import (
    PRINCIPAL_COLUMNS,
    AuthenticatedUser,
    IdentityService,
    authenticated_user,
    hash_key,
)
from maestro.services.principal import Principal

_RESOLVE = (
    select(ConsoleSession.csrf_token, *PRINCIPAL_COLUMNS)
    .join(ApiKey, ApiKey.id == ConsoleSession.api_key_id)
    .join(User, User.id == ConsoleSession.user_id)
    .outerjoin(Tenant, Tenant.id == User.tenant_id)
    .where(
        ConsoleSession.token_hash == bindparam("token_hash"),
        ConsoleSession.expires_at > bindparam("now"),
        User.disabled.is_(False),
    )
)


@dataclass(frozen=True)
class OpenedSession:
    """The only object holding the session token in clear; it goes into the cookie."""

    token: str
    csrf_token: str


@dataclass(frozen=True)
class ConsoleUser:
    user: AuthenticatedUser
    csrf_token: str

    @property
    def principal(self) -> Principal:
        return self.user.principal


class ConsoleSessionService:
    def __init__(self, identity: IdentityService, lifetime: timedelta) -> None:
        self.identity = identity
        self.lifetime = lifetime

    def open(self, session: Session, key: str) -> OpenedSession:
        """Exchange a valid API key for a new session (expired sessions are purged here)."""
        row = session.execute(
            select(ApiKey.id, ApiKey.user_id)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == hash_key(key), User.disabled.is_(False))
        ).first()
        if row is None:
            raise Unauthenticated("invalid API key")
        now = utcnow()
        session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        session.add(
            ConsoleSession(
                token_hash=hash_key(token),
                user_id=row.user_id,
                api_key_id=row.id,
                csrf_token=csrf,
                expires_at=now + self.lifetime,
            )
        )
        session.flush()
        return OpenedSession(token=token, csrf_token=csrf)

    def resolve(self, session: Session, token: str) -> ConsoleUser:
        """The signed-in user of a session token; reads only (`identity.touch` when stale)."""
        row = session.execute(_RESOLVE, {"token_hash": hash_key(token), "now": utcnow()}).first()
        if row is None:
            raise Unauthenticated("your session has ended; sign in again")
        return ConsoleUser(user=authenticated_user(row), csrf_token=row.csrf_token)

    def close(self, session: Session, token: str) -> None:
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == hash_key(token)))
