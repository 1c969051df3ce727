"""MLflow-compatible API: MLflow experiments, run lifecycle, proxied artifacts, logged models.

Revision ID: 0009_mlflow
Revises: 0001_tenancy
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from maestro.db.base import UTCDateTime

revision: str = "0009_mlflow"
down_revision: str | None = "0001_tenancy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0003_experiments_datasets",)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
    )


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def _experiment_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["experiment_id"],
        ["mlflow_experiments.id"],
        name=f"fk_{table}_experiment_id_mlflow_experiments",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "mlflow_experiments",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_mlflow_experiments"),
        _tenant_fk("mlflow_experiments"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_mlflow_experiments_tenant_name"),
    )
    op.create_index("ix_mlflow_experiments_tenant_id", "mlflow_experiments", ["tenant_id"])
    op.create_table(
        "mlflow_runs",
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("experiment_id", sa.String(36), nullable=False),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("run_id", name="pk_mlflow_runs"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["experiments.id"],
            name="fk_mlflow_runs_run_id_experiments",
            ondelete="CASCADE",
        ),
        _tenant_fk("mlflow_runs"),
        _experiment_fk("mlflow_runs"),
    )
    op.create_index("ix_mlflow_runs_tenant_id", "mlflow_runs", ["tenant_id"])
    op.create_index(
        "ix_mlflow_runs_tenant_experiment", "mlflow_runs", ["tenant_id", "experiment_id"]
    )
    op.create_table(
        "mlflow_artifacts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_mlflow_artifacts"),
        _tenant_fk("mlflow_artifacts"),
        sa.UniqueConstraint("tenant_id", "path", name="uq_mlflow_artifacts_tenant_path"),
    )
    op.create_index("ix_mlflow_artifacts_tenant_id", "mlflow_artifacts", ["tenant_id"])
    op.create_table(
        "mlflow_logged_models",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("experiment_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_run_id", sa.String(36)),
        sa.Column("model_type", sa.String(100)),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_mlflow_logged_models"),
        _tenant_fk("mlflow_logged_models"),
        _experiment_fk("mlflow_logged_models"),
    )
    op.create_index("ix_mlflow_logged_models_tenant_id", "mlflow_logged_models", ["tenant_id"])
    op.create_index(
        "ix_mlflow_logged_models_tenant_experiment",
        "mlflow_logged_models",
        ["tenant_id", "experiment_id"],
    )


def downgrade() -> None:
    op.drop_table("mlflow_logged_models")
    op.drop_table("mlflow_artifacts")
    op.drop_table("mlflow_runs")
    op.drop_table("mlflow_experiments")
