"""Engines, sessions and migrations for the case database.

``make_engine(url)`` builds an engine for SQLite (the default, a file under ``var/``) or PostgreSQL
(``postgresql+psycopg://user:password@host/db``); ``session_factory(engine)`` the matching
``sessionmaker``; ``migrate(url_or_engine)`` runs Alembic's ``upgrade head`` programmatically, with the
configuration built in code, so it works from any working directory. The schema is created only by the
migrations, never by ``metadata.create_all``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is turned off; _sqlite_begin starts every transaction instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # notes are deleted with their case
    cursor.execute("PRAGMA busy_timeout=10000")  # the action server and the web service share the file
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer (no-op in memory)
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock at the start (waiting up to busy_timeout for it), so a transaction
    # that reads and then writes never fails with "database is locked" because another process wrote in
    # between; it also makes concurrent migrations run one after the other.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for ``url``. For an SQLite file, its folder is created, WAL journaling and foreign keys are
    turned on, and transactions start with ``BEGIN IMMEDIATE``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration, built in code (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolation: a literal % in a password must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(target: str | Engine) -> None:
    """Bring the database at ``target`` (a URL or an engine) to the newest schema (``upgrade head``)."""
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if isinstance(target, str):
            engine.dispose()
    logger.info("case database at head (%s)", engine.url.render_as_string(hide_password=True))
