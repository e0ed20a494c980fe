"""Fixtures for the privacy tests: a case store and a tracker store with Rasa's ``events`` table, on SQLite
and on a real PostgreSQL server (Debian's package, started once for this folder)."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert

sys.path.insert(0, str(Path(__file__).parent.parent / "cases"))

from pgserver import PostgresMissing, PostgresServer, running_postgres  # noqa: E402

from cases.store import CaseStore  # noqa: E402
from privacy.tracker_erasure import TrackerStoreEraser  # noqa: E402

_numbers = itertools.count(1)

# The columns of Rasa 3.6's SQLTrackerStore ``events`` table.
metadata = MetaData()
EVENTS = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True), Column("sender_id", String(255), index=True),
    Column("type_name", String(255)), Column("timestamp", Float), Column("intent_name", String(255)),
    Column("action_name", String(255)), Column("data", Text),
)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        with running_postgres() as server:
            yield server
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)


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


def add_events(tracker_url: str, sender_id: str, timestamps: list[float], text: str = "my number is 0123") -> None:
    engine = create_engine(tracker_url)
    with engine.begin() as connection:
        for at in timestamps:
            connection.execute(insert(EVENTS).values(sender_id=sender_id, type_name="user", timestamp=at,
                                                     data=f'{{"text": "{text}"}}'))
    engine.dispose()
