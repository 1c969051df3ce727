"""Job idempotency: a model version remembers the job that registered it (unique).

Revision ID: 0006_recovery
Revises: 0001_tenancy
Depends on: 0002_registry
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_recovery"
down_revision: str | None = "0001_tenancy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002_registry"


def upgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("source_job_id", sa.String(36), nullable=True))
    op.create_index(
        "ix_model_versions_source_job_id", "model_versions", ["source_job_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_model_versions_source_job_id", table_name="model_versions")
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("source_job_id")
