"""Databases for tests: a SQLite file per test, a private PostgreSQL database per test session."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import text

from maestro.db.migrate import upgrade_to_head
from maestro.db.models import Base
from maestro.db.session import Database

PG_ADMIN_DSN = os.environ.get(
    "MAESTRO_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def private_postgres_database() -> Iterator[str]:
    """Create a uniquely named database and drop it afterwards, so parallel runs never meet."""
    name = f"maestro_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_postgres(url: str) -> None:
    """Migrate, then empty every table: a fresh database for each test at TRUNCATE speed."""
    db = Database(url, pool_size=1, max_overflow=0)
    try:
        upgrade_to_head(db.engine)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        db.dispose()
