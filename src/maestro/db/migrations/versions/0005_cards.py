"""Model card sections, and the job metrics outbox (events and observed terminal jobs).

Revision ID: 0005_cards
Revises: 0002_registry
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from maestro.db.base import UTCDateTime

revision: str = "0005_cards"
down_revision: str | None = "0002_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "model_card_sections",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("version_id", sa.String(36), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(36)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_card_sections"),
        _tenant_fk("model_card_sections"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name="fk_model_card_sections_version_id_model_versions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("version_id", name="uq_model_card_sections_version_id"),
    )
    op.create_index("ix_model_card_sections_tenant_id", "model_card_sections", ["tenant_id"])
    op.create_table(
        "job_metric_events",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_job_metric_events"),
        _tenant_fk("job_metric_events"),
    )
    op.create_index("ix_job_metric_events_tenant_id", "job_metric_events", ["tenant_id"])
    op.create_table(
        "job_observations",
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("observed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name="pk_job_observations"),
        _tenant_fk("job_observations"),
    )
    op.create_index("ix_job_observations_tenant_id", "job_observations", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("job_observations")
    op.drop_table("job_metric_events")
    op.drop_table("model_card_sections")
