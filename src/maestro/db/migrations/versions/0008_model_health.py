"""Model health: prediction log, monitoring settings, reference datasets, drift runs.

Revision ID: 0008_model_health
Revises: 0001_tenancy
Depends on: 0002_registry (models, versions). `model_references.dataset_id` has no foreign key
to `datasets`, so this branch does not depend on two others (Alembic cannot upgrade a revision
whose `depends_on` spans two branches of one root); a deleted dataset is simply no reference.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from maestro.db.base import UTCDateTime

revision: str = "0008_model_health"
down_revision: str | None = "0001_tenancy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002_registry"


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "model_monitoring",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("log_sample_rate", sa.Float()),
        sa.Column("next_drift_at", UTCDateTime()),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_model_monitoring"),
        _fk("model_monitoring", "tenant_id", "tenants"),
        _fk("model_monitoring", "model_id", "models"),
        sa.UniqueConstraint("model_id", name="uq_model_monitoring_model_id"),
    )
    op.create_index("ix_model_monitoring_tenant_id", "model_monitoring", ["tenant_id"])

    op.create_table(
        "model_references",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("version_id", sa.String(36), nullable=False),
        sa.Column("dataset_id", sa.String(36), nullable=False),
        sa.Column("set_by", sa.String(36)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_model_references"),
        _fk("model_references", "tenant_id", "tenants"),
        _fk("model_references", "version_id", "model_versions"),
        sa.UniqueConstraint("version_id", name="uq_model_references_version_id"),
    )
    op.create_index("ix_model_references_tenant_id", "model_references", ["tenant_id"])

    op.create_table(
        "prediction_logs",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("model_id", sa.String(36)),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("label", sa.JSON()),
        sa.Column("labelled_at", UTCDateTime()),
        sa.Column("correct", sa.Boolean()),
        sa.Column("abs_error", sa.Float()),
        sa.PrimaryKeyConstraint("id", name="pk_prediction_logs"),
        _fk("prediction_logs", "tenant_id", "tenants"),
        _fk("prediction_logs", "model_id", "models", ondelete="SET NULL"),
    )
    op.create_index(
        "ix_prediction_logs_model_created", "prediction_logs", ["model_id", "created_at"]
    )
    op.create_index(
        "ix_prediction_logs_tenant_created", "prediction_logs", ["tenant_id", "created_at"]
    )
    op.create_index(
        "ix_prediction_logs_model_labelled", "prediction_logs", ["model_id", "labelled_at"]
    )

    op.create_table(
        "drift_runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(36)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("reference_dataset_id", sa.String(36)),
        sa.Column("reference_rows", sa.Integer(), nullable=False),
        sa.Column("current_rows", sa.Integer(), nullable=False),
        sa.Column("drifted_features", sa.Integer(), nullable=False),
        sa.Column("drift_share", sa.Float(), nullable=False),
        sa.Column("dataset_drift", sa.Boolean(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("prediction", sa.JSON()),
        sa.PrimaryKeyConstraint("id", name="pk_drift_runs"),
        _fk("drift_runs", "tenant_id", "tenants"),
        _fk("drift_runs", "model_id", "models"),
    )
    op.create_index("ix_drift_runs_tenant_id", "drift_runs", ["tenant_id"])
    op.create_index("ix_drift_runs_model_created", "drift_runs", ["model_id", "created_at"])


def downgrade() -> None:
    op.drop_table("drift_runs")
    op.drop_table("prediction_logs")
    op.drop_table("model_references")
    op.drop_table("model_monitoring")
