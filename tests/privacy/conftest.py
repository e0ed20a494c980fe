"""Fixtures for the privacy tests: a case store and a tracker store with Rasa's ``events`` table, on SQLite
and on the session's real PostgreSQL server (Debian's package; the fixture is in ../conftest.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import PostgresServer
from sqlalchemy import create_engine
from trackerdb import metadata

from cases.store import CaseStore
from privacy.tracker_erasure import TrackerStoreEraser

_numbers = itertools.count(1)


def _database(kind: str, name: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"{name}_{next(_numbers)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[CaseStore, TrackerStoreEraser, str]]:
    """A migrated case store, a tracker eraser, and the tracker database's URL (with an events table)."""
    cases = CaseStore.from_url(_database(request.param, "cases", tmp_path, request))
    tracker_url = _database(request.param, "tracker", tmp_path, request)
    engine = create_engine(tracker_url)
    metadata.create_all(engine)
    engine.dispose()
    trackers = TrackerStoreEraser.from_url(tracker_url)
    yield cases, trackers, tracker_url
    trackers.dispose()
    cases.dispose()
