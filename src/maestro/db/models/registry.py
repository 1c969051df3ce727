"""Model registry: registered models, their immutable versions, aliases and the live deployment."""

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maestro.db.base import Base, IdMixin, TimestampMixin


class RegisteredModel(IdMixin, TimestampMixin, Base):
    __tablename__ = "models"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_models_tenant_name"),
        Index("ix_models_tenant_created", "tenant_id", "created_at", "id"),  # newest-first lists
    )

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    # The version counter: incremented by an UPDATE in the registering transaction, which takes
    # the row lock on PostgreSQL (the write lock on SQLite), so numbers never collide.
    latest_version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    versions: Mapped[list["ModelVersion"]] = relationship(
        back_populates="model", cascade="all, delete-orphan", passive_deletes=True
    )


class ModelVersion(IdMixin, TimestampMixin, Base):
    """An immutable artifact and its metadata; `storage_key` is server-generated, not user input."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "version", name="uq_model_versions_model_version"),
        Index("ix_model_versions_tenant_created", "tenant_id", "created_at", "id"),  # recent
    )

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    model_id: Mapped[str] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), index=True, nullable=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSON, default=dict, nullable=False
    )
    created_by: Mapped[str | None] = mapped_column(String(36))
    # The job that registered it (a training job): unique, so a retried job that registered
    # before it was killed finds its version instead of registering a second one.
    source_job_id: Mapped[str | None] = mapped_column(String(36), index=True, unique=True)

    model: Mapped[RegisteredModel] = relationship(back_populates="versions")


class ModelAlias(IdMixin, TimestampMixin, Base):
    __tablename__ = "model_aliases"
    __table_args__ = (UniqueConstraint("model_id", "alias", name="uq_model_aliases_model_alias"),)

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    model_id: Mapped[str] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), index=True, nullable=False
    )
    alias: Mapped[str] = mapped_column(String(63), nullable=False)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True, nullable=False
    )


class ModelDeployment(IdMixin, TimestampMixin, Base):
    """The version `predict` serves; at most one per model (unique `model_id`)."""

    __tablename__ = "model_deployments"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    model_id: Mapped[str] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    version_id: Mapped[str] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True, nullable=False
    )
