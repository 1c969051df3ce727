"""Tenants, their users and API keys, and per-tenant quota usage."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maestro.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class Tenant(IdMixin, TimestampMixin, Base):
    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Only the overrides an admin set; absent keys fall back to the settings' defaults.
    quota_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    rate_limit_rpm: Mapped[int | None] = mapped_column(Integer)
    rate_limit_burst: Mapped[int | None] = mapped_column(Integer)
    # Prediction log bounds (migration 0010); None: MAESTRO_PREDICTION_LOG_RETENTION_DAYS and
    # MAESTRO_PREDICTION_LOG_MAX_BYTES, so a tenant without its own follows the settings.
    prediction_log_retention_days: Mapped[float | None] = mapped_column(Float)
    prediction_log_max_bytes: Mapped[int | None] = mapped_column(BigInteger)

    users: Mapped[list["User"]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", passive_deletes=True
    )


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "username", name="uq_users_tenant_username"),)

    # NULL tenant means a platform user (the admin).
    tenant_id: Mapped[str | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(63), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # A disabled user's keys and console sessions stop authenticating at once (console area).
    disabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )

    tenant: Mapped[Tenant | None] = relationship(back_populates="users")
    api_keys: Mapped[list["ApiKey"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class ApiKey(IdMixin, Base):
    __tablename__ = "api_keys"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    user: Mapped[User] = relationship(back_populates="api_keys")


class QuotaUsage(Base):
    """How much of each quota resource a tenant uses; updated atomically with the resource."""

    __tablename__ = "quota_usage"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    resource_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
