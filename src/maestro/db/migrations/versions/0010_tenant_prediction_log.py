"""Per-tenant prediction log bounds: retention and maximum size, NULL meaning the defaults.

Revision ID: 0010_tenant_prediction_log
Revises: 0008_model_health

Both columns are nullable and start empty, so existing tenants keep following
`MAESTRO_PREDICTION_LOG_RETENTION_DAYS` / `MAESTRO_PREDICTION_LOG_MAX_BYTES` (and any later
change of those settings) until an admin sets a value of their own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_tenant_prediction_log"
down_revision: str | None = "0008_model_health"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("prediction_log_retention_days", sa.Float()))
        batch.add_column(sa.Column("prediction_log_max_bytes", sa.BigInteger()))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("prediction_log_max_bytes")
        batch.drop_column("prediction_log_retention_days")
