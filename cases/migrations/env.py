"""Alembic environment for the case database.

``cases.db.migrate`` passes an open connection in ``config.attributes["connection"]``; the ``alembic``
command line (``alembic -x url=... upgrade head`` with ``script_location`` pointing here) passes a URL.
On PostgreSQL a transaction-level advisory lock makes concurrent starts (action server and web service)
migrate one after the other.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from cases.db import make_engine
from cases.models import Base

MIGRATION_LOCK_KEY = 7_520_357  # any constant shared by every process migrating this database

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or use cases.db.migrate(url)")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
