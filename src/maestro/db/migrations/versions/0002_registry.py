"""Model registry: models, versions, aliases, deployments.

Revision ID: 0002_registry
Revises: 0001_tenancy
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from maestro.db.base import UTCDateTime

revision: str = "0002_registry"
down_revision: str | None = "0001_tenancy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _common(table: str) -> list[Any]:
    """Id, tenant and timestamps: the columns every registry table starts with."""
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
        ),
    ]


def _model_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model_id"], ["models.id"], name=f"fk_{table}_model_id_models", ondelete="CASCADE"
    )


def _version_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["version_id"],
        ["model_versions.id"],
        name=f"fk_{table}_version_id_model_versions",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "models",
        *_common("models"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("tenant_id", "name", name="uq_models_tenant_name"),
    )
    op.create_index("ix_models_tenant_id", "models", ["tenant_id"])
    op.create_table(
        "model_versions",
        *_common("model_versions"),
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(36)),
        _model_fk("model_versions"),
        sa.UniqueConstraint("model_id", "version", name="uq_model_versions_model_version"),
    )
    op.create_index("ix_model_versions_tenant_id", "model_versions", ["tenant_id"])
    op.create_index("ix_model_versions_model_id", "model_versions", ["model_id"])
    op.create_table(
        "model_aliases",
        *_common("model_aliases"),
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("alias", sa.String(63), nullable=False),
        sa.Column("version_id", sa.String(36), nullable=False),
        _model_fk("model_aliases"),
        _version_fk("model_aliases"),
        sa.UniqueConstraint("model_id", "alias", name="uq_model_aliases_model_alias"),
    )
    for column in ("tenant_id", "model_id", "version_id"):
        op.create_index(f"ix_model_aliases_{column}", "model_aliases", [column])
    op.create_table(
        "model_deployments",
        *_common("model_deployments"),
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("version_id", sa.String(36), nullable=False),
        _model_fk("model_deployments"),
        _version_fk("model_deployments"),
        sa.UniqueConstraint("model_id", name="uq_model_deployments_model_id"),
    )
    for column in ("tenant_id", "version_id"):
        op.create_index(f"ix_model_deployments_{column}", "model_deployments", [column])


def downgrade() -> None:
    op.drop_table("model_deployments")
    op.drop_table("model_aliases")
    op.drop_table("model_versions")
    op.drop_table("models")
