"""The schema comes only from the Alembic migrations, and the migrated schema matches the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from cases.db import alembic_config, make_engine, migrate
from cases.models import Base

pytestmark = pytest.mark.integration

TABLES = {"alembic_version", "cases", "notes", "audit_log", "navigators", "navigator_sessions"}


def test_upgrade_head_on_an_empty_database_gives_exactly_the_models(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert context.get_current_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert compare_metadata(context, Base.metadata) == []
        migrate(database_url)  # a second run is a no-op
        open_per_sender = {i["name"]: i for i in inspect(engine).get_indexes("cases")}["uq_cases_open_per_sender"]
        assert open_per_sender["unique"]
    finally:
        engine.dispose()


def test_migrations_run_from_any_working_directory(tmp_path: Path) -> None:
    """No alembic.ini is needed: ``migrate`` builds its configuration in code."""
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    repo = Path(__file__).resolve().parents[2]
    code = "import sys; from cases.db import migrate; migrate(sys.argv[1])"
    result = subprocess.run([sys.executable, "-c", code, url], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(repo)}, timeout=120)
    assert result.returncode == 0, result.stderr
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()


def test_the_sqlite_default_creates_its_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'cases.db'}"
    migrate(url)
    assert (tmp_path / "new" / "folder" / "cases.db").exists()
