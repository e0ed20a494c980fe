"""Tracker fixtures for action tests: a conversation state built from plain data, no server."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def tracker_for(text: str, intent: str = "ask_trial", slots: dict[str, Any] | None = None,
                sender_id: str = "test-user") -> Tracker:
    """A tracker whose latest user message is ``text`` classified as ``intent``."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
