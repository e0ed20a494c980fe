"""Deleting conversations from Rasa's SQL tracker store (SQLite locally, PostgreSQL in production).

Rasa keeps every event of a conversation as a row of its ``events`` table, keyed by ``sender_id``, with a
``timestamp`` (seconds since the epoch). Erasing a conversation deletes its rows; Rasa reads the tracker
from the database on every message, so the next message starts a fresh, empty conversation.
"""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

EVENTS_TABLE = "events"


class TrackerStoreEraser:
    """Deletes and counts conversation events in the tracker store's database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def from_url(cls, url: str) -> TrackerStoreEraser:
        return cls(create_engine(url, future=True))

    def dispose(self) -> None:
        self._engine.dispose()

    def _has_events_table(self) -> bool:
        return inspect(self._engine).has_table(EVENTS_TABLE)

    def count_events(self, sender_id: str) -> int:
        """How many events the store holds for one conversation (0 when Rasa never stored any)."""
        if not self._has_events_table():
            return 0
        with self._engine.connect() as connection:
            query = text(f"SELECT COUNT(*) FROM {EVENTS_TABLE} WHERE sender_id = :sender")
            return int(connection.execute(query, {"sender": sender_id}).scalar_one())

    def erase_conversation(self, sender_id: str, up_to: float | None = None) -> int:
        """Delete a conversation's events (only those at or before ``up_to`` when given); returns the count."""
        if not self._has_events_table():
            return 0
        condition = "sender_id = :sender" + (" AND timestamp <= :up_to" if up_to is not None else "")
        with self._engine.begin() as connection:
            result = connection.execute(text(f"DELETE FROM {EVENTS_TABLE} WHERE {condition}"),
                                        {"sender": sender_id, "up_to": up_to})
            return int(result.rowcount or 0)

    def senders_idle_since(self, cutoff: float) -> list[str]:
        """Conversations whose latest event is older than ``cutoff`` (seconds since the epoch)."""
        if not self._has_events_table():
            return []
        with self._engine.connect() as connection:
            query = text(f"SELECT sender_id FROM {EVENTS_TABLE} GROUP BY sender_id HAVING MAX(timestamp) < :cutoff")
            return [row[0] for row in connection.execute(query, {"cutoff": cutoff})]
