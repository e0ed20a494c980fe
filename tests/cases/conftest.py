"""Fixtures for the case store tests: every store test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per session from Debian's package (see ``pgserver.py``); each test
gets a fresh, empty database on it. Nothing is skipped: without PostgreSQL the fixture fails and says what
to install.
"""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pgserver import PostgresServer  # noqa: E402

_numbers = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: an SQLite file, or a new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"cases_test_{next(_numbers)}")


class Clock:
    """A clock that tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database_url: str, clock: Clock):
    from cases.store import CaseStore

    opened = CaseStore.from_url(database_url, clock=clock)
    yield opened
    opened.dispose()
