"""The chat actions for "delete my data" and consent withdrawal, the scheduled purge and ``trialbot purge``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import AllSlotsReset
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine
from test_erasure_and_retention import new_case
from trackerdb import EVENTS, add_events, metadata

from actions.privacy_actions import ActionEraseMyData, ActionWithdrawConsent
from cases.store import CaseStore
from privacy.schedule import purge_periodically
from privacy.tracker_erasure import TrackerStoreEraser
from trialbot.settings import REPO_ROOT, PrivacySettings

pytestmark = pytest.mark.integration


def tracker(sender_id: str) -> Tracker:
    latest = {"text": "yes", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []}
    return Tracker(sender_id, {"age": 60}, latest, [], False, None, {}, "utter_confirm_erasure")


class BrokenStore:
    def erase_cases_of_sender(self, *args):
        raise ConnectionError("database down")

    withdraw_consent = erase_cases_of_sender


def run(action, sender_id: str):
    async def go():
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker(sender_id), {})
        await asyncio.sleep(0.7)  # the first retry of the erasure after the turn
        return dispatcher.messages, events
    return asyncio.run(go())


def test_the_erase_action_deletes_the_case_and_the_conversation(stores):
    cases, trackers, url = stores
    add_events(url, "patient-a", [time.time() - 5])
    case = new_case(cases, "patient-a")
    messages, events = run(ActionEraseMyData(cases=cases, trackers=trackers), "patient-a")
    assert "deleted" in messages[0]["text"] and events == [AllSlotsReset()]
    assert cases.get_case(case.id) is None and trackers.count_events("patient-a") == 0


def test_a_failed_erasure_is_said_plainly_and_logged_without_details(stores, caplog):
    _, trackers, _ = stores
    messages, events = run(ActionEraseMyData(cases=BrokenStore(), trackers=trackers), "patient-a")
    assert "couldn't delete" in messages[0]["text"] and "talk to a person" in messages[0]["text"]
    assert events == []
    assert "ConnectionError" in caplog.text and "patient-a" not in caplog.text


def test_withdrawing_consent_resets_the_answers_and_records_the_time(stores):
    cases, _, _ = stores
    case = new_case(cases, "patient-a")
    messages, events = run(ActionWithdrawConsent(cases=cases), "patient-a")
    assert "withdrawn your consent" in messages[0]["text"] and "delete my data" in messages[0]["text"]
    assert events[0] == AllSlotsReset()
    assert events[1]["event"] == "slot" and events[1]["name"] == "consent_withdrawn_at"
    assert datetime.fromisoformat(events[1]["value"]) <= datetime.now(UTC)
    assert cases.get_case(case.id).screening_facts is None


def _settings(tmp_path: Path) -> PrivacySettings:
    settings = PrivacySettings(database_url=f"sqlite:///{tmp_path / 'cases.db'}", tracker_db=tmp_path / "tracker.db",
                               retention_days=30, purge_interval_s=0.01)
    engine = create_engine(settings.tracker_database_url())
    metadata.create_all(engine)
    engine.dispose()
    add_events(settings.tracker_database_url(), "old", [(datetime.now(UTC) - timedelta(days=40)).timestamp()])
    add_events(settings.tracker_database_url(), "new", [time.time()])
    return settings


def test_the_scheduled_purge_runs_and_keeps_recent_conversations(tmp_path):
    settings = _settings(tmp_path)
    asyncio.run(purge_periodically(settings, runs=2))
    trackers = TrackerStoreEraser.from_url(settings.tracker_database_url())
    assert trackers.count_events("old") == 0 and trackers.count_events("new") == 1


def test_trialbot_purge_command(tmp_path):
    settings = _settings(tmp_path)
    CaseStore.from_url(settings.database_url).dispose()  # migrated, empty
    env = {**os.environ, "TRIALBOT_DATABASE_URL": settings.database_url, "TRIALBOT_TRACKER_DB": str(tmp_path /
           "tracker.db"), "TRIALBOT_RETENTION_DAYS": "30"}
    trialbot = str(REPO_ROOT / ".venv" / "bin" / "trialbot")
    dry = subprocess.run([trialbot, "purge", "--dry-run"], env=env, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0 and "would erase: 1 conversations (1 events) and 0 cases" in dry.stdout
    done = subprocess.run([trialbot, "purge"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("erased: 1 conversations")
    assert TrackerStoreEraser.from_url(settings.tracker_database_url()).count_events("old") == 0
    refused = subprocess.run([trialbot, "purge", "--older-than-days", "0"], env=env, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 2 and "at least one day" in refused.stderr


def test_the_events_table_matches_what_rasa_creates():
    assert {c.name for c in EVENTS.columns} >= {"sender_id", "timestamp"}
