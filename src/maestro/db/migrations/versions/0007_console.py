"""Web console sessions, the users' `disabled` flag, and indexes for newest-first lists.

Revision ID: 0007_console
Revises: 0002_registry, 0003_experiments_datasets, 0004_jobs

It indexes the registry's, experiments' and jobs' tables, so it comes after the three (a merge
point of their branches; Alembic cannot apply `depends_on` on several siblings of one base).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from maestro.db.base import UTCDateTime

revision: str = "0007_console"
down_revision: str | tuple[str, ...] | None = (
    "0002_registry",
    "0003_experiments_datasets",
    "0004_jobs",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEWEST_FIRST = ("experiments", "models", "model_versions", "jobs")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("api_key_id", sa.String(36), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_console_sessions_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name="fk_console_sessions_api_key_id_api_keys",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("token_hash", name="uq_console_sessions_token_hash"),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_index("ix_console_sessions_api_key_id", "console_sessions", ["api_key_id"])
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    # (tenant_id, created_at, id): a tenant's newest rows without sorting all of them.
    for table in NEWEST_FIRST:
        op.create_index(f"ix_{table}_tenant_created", table, ["tenant_id", "created_at", "id"])


def downgrade() -> None:
    for table in NEWEST_FIRST:
        op.drop_index(f"ix_{table}_tenant_created", table_name=table)
    op.drop_table("console_sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled")
