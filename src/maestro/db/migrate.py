"""Apply Alembic migrations programmatically; called at start-up by `maestro serve` and the app."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every replica.
_PG_MIGRATION_LOCK = 7_352_901


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision of every branch.

    Each feature area owns a migration branch rooted at the tenancy revision, so areas evolve
    without editing each other's history; "heads" applies them all.

    On PostgreSQL an advisory lock serializes replicas that start together, so two of them never
    run the same DDL at once.
    """
    with engine.connect() as connection:
        locked = connection.dialect.name == "postgresql"
        if locked:
            # Session-level lock: it outlives the transactions Alembic commits below.
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            connection.commit()
        try:
            command.upgrade(alembic_config(connection), "heads")
            connection.commit()
        finally:
            if locked:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                connection.commit()
