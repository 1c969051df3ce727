"""The hand-written migrations build exactly the schema the models describe, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from maestro.db.migrate import upgrade_to_head
from maestro.db.models import Base
from maestro.db.session import Database


def test_migrations_match_models(database_url):
    db = Database(database_url)
    try:
        upgrade_to_head(db.engine)
        upgrade_to_head(db.engine)  # idempotent: a second start-up changes nothing
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        db.dispose()
    assert differences == []
    assert set(Base.metadata.tables) <= tables
