"""A tracker store database shaped like Rasa 3.6's SQLTrackerStore (its ``events`` table), for the privacy tests."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert

# The columns of Rasa 3.6's SQLTrackerStore ``events`` table.
metadata = MetaData()
EVENTS = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True), Column("sender_id", String(255), index=True),
    Column("type_name", String(255)), Column("timestamp", Float), Column("intent_name", String(255)),
    Column("action_name", String(255)), Column("data", Text),
)


def add_events(tracker_url: str, sender_id: str, timestamps: list[float], text: str = "my number is 0123") -> None:
    engine = create_engine(tracker_url)
    with engine.begin() as connection:
        for at in timestamps:
            connection.execute(insert(EVENTS).values(sender_id=sender_id, type_name="user", timestamp=at,
                                                     data=f'{{"text": "{text}"}}'))
    engine.dispose()
