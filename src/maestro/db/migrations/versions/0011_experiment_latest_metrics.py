"""The last point of every metric series, for sorting experiments by a metric.

Revision ID: 0011_experiment_latest_metrics
Revises: 0003_experiments_datasets
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from maestro.db.base import UTCDateTime

revision: str = "0011_experiment_latest_metrics"
down_revision: str | None = "0003_experiments_datasets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The point `ExperimentService.latest_metrics_of` calls latest: highest step, then latest
# timestamp, then latest insertion.
_BACKFILL = """
INSERT INTO experiment_latest_metrics (experiment_id, name, step, value, timestamp)
SELECT experiment_id, name, step, value, timestamp FROM (
    SELECT experiment_id, name, step, value, timestamp,
           row_number() OVER (
               PARTITION BY experiment_id, name ORDER BY step DESC, timestamp DESC, id DESC
           ) AS position
    FROM experiment_metrics
) AS ranked
WHERE position = 1
"""


def upgrade() -> None:
    op.create_table(
        "experiment_latest_metrics",
        sa.Column("experiment_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("timestamp", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", "name", name="pk_experiment_latest_metrics"),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name="fk_experiment_latest_metrics_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        sqlite_with_rowid=False,
    )
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.drop_table("experiment_latest_metrics")
