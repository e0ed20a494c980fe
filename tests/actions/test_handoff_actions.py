import asyncio
import logging

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionCreateCase, ValidateHandoffForm, parse_method, transcript_of

pytestmark = pytest.mark.integration


def tracker(slots: dict, events: list | None = None) -> Tracker:
    latest = {"text": "x", "intent": {"name": "inform", "confidence": 1.0}, "entities": []}
    return Tracker("patient-1", slots, latest, events or [], False, None, {}, "action_listen")


@pytest.fixture()
def store(tmp_path):
    from cases.store import CaseStore
    from trialbot.settings import CaseSettings

    return CaseStore.from_settings(CaseSettings(database_url=f"sqlite:///{tmp_path / 'cases.db'}"))


def test_contact_method_and_validated_details():
    assert parse_method("phone please") == "phone"
    assert parse_method("jane@example.com") == "email"
    assert parse_method("here in this chat") == "chat"
    form, dispatcher = ValidateHandoffForm(), CollectingDispatcher()
    bad = form.validate_contact_value("12345", dispatcher, tracker({"contact_method": "phone"}), {})
    assert bad == {"contact_value": None} and "phone number" in dispatcher.messages[0]["text"]
    good = form.validate_contact_value("+44 20 7946 0958", dispatcher, tracker({"contact_method": "phone"}), {})
    assert good == {"contact_value": "+442079460958"}
    email_tracker = tracker({"contact_method": "email"})
    email = form.validate_contact_value("it's Jane.Doe@Example.com", dispatcher, email_tracker, {})
    assert email == {"contact_value": "Jane.Doe@example.com"}
    direct = form.validate_contact_method("call me on +86 138 0013 8000", dispatcher, tracker({}), {})
    assert direct == {"contact_method": "phone", "contact_value": "+8613800138000"}


def test_details_are_only_asked_when_needed():
    form = ValidateHandoffForm()
    slots = asyncio.run(form.required_slots([], CollectingDispatcher(), tracker({"contact_method": "chat"}), {}))
    assert "contact_value" not in slots
    assert asyncio.run(form.required_slots([], CollectingDispatcher(), tracker({"handoff_consent": False}), {})) == [
        "handoff_consent"]


def test_a_case_holds_transcript_screening_and_unanswered_questions(store):
    events = [{"event": "user", "text": "hello", "timestamp": 1_800_000_000},
              {"event": "bot", "text": "Hello, I'm an automated assistant", "timestamp": 1_800_000_001},
              {"event": "bot", "text": "Hi, this is Mei from the trial team", "timestamp": 1_800_000_002,
               "metadata": {"navigator": True}}]
    slots = {"handoff_consent": True, "contact_method": "phone", "contact_value": "+8613800138000",
             "preferred_language": "English", "preferred_time": "morning", "screening_consent": True, "age": 62,
             "screening_outcome": "needs_review", "screening_result": {"outcome": "needs_review", "criteria": []},
             "unanswered_questions": ["is there parking?"], "urgent": True}
    dispatcher = CollectingDispatcher()
    events_out = asyncio.run(ActionCreateCase(store=store).run(dispatcher, tracker(slots, events), {}))
    reference = next(e["value"] for e in events_out if e["name"] == "case_reference")
    text = dispatcher.messages[0]["text"]
    assert reference in text and "by phone" in text and "within a few hours" in text
    assert {e["name"] for e in events_out if e["value"] is None} >= {"contact_value", "handoff_consent"}
    [case] = [c for c in store.list_cases(trials=["NCT07520357"]) if c.reference == reference]
    assert case.urgency == "urgent" and case.contact_value == "+8613800138000"
    assert case.screening_facts == {"age": 62} and case.screening_outcome == "needs_review"
    assert case.unanswered_questions == ["is there parking?"]
    assert [m["role"] for m in case.transcript] == ["user", "bot", "navigator"]
    assert transcript_of(tracker(slots, events))[0]["at"].startswith("2027-01-15")


def test_no_consent_passes_nothing_on(store):
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionCreateCase(store=store).run(dispatcher, tracker({"handoff_consent": False}), {}))
    assert "haven't passed anything on" in dispatcher.messages[0]["text"]
    assert store.list_cases(trials=["NCT07520357"]) == []


# ---- when the case cannot be stored -------------------------------------------------------------------------

PATIENT_DETAILS = ("+442079460958", "7946", "jane.doe@example.com", "Jane Doe")


class FailingStore:
    """A case store whose database has gone away; its error message holds the patient's details, as a
    driver's message quoting the failed statement's parameters would."""

    def __init__(self) -> None:
        self.calls = 0

    def create_case(self, data):
        self.calls += 1
        raise RuntimeError(f"INSERT failed: contact_value={data.contact_value!r} name='Jane Doe' "
                           "email='jane.doe@example.com'")


def handoff_slots() -> dict:
    return {"handoff_consent": True, "contact_method": "phone", "contact_value": "+442079460958",
            "preferred_language": "English", "preferred_time": "mornings"}


def patient_events() -> list[dict]:
    return [{"event": "user", "text": "I'm Jane Doe, call me on +44 20 7946 0958", "timestamp": 1_800_000_000}]


def assert_reachable_and_nothing_personal_logged(dispatcher: CollectingDispatcher, events_out: list,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    from actions.handoff import CASE_FAILED_MESSAGE

    assert [m["text"] for m in dispatcher.messages] == [CASE_FAILED_MESSAGE]
    assert "NCT07520357" in CASE_FAILED_MESSAGE and "trial team" in CASE_FAILED_MESSAGE  # a way to reach them
    assert {"event": "slot", "name": "case_reference", "value": None, "timestamp": None} in events_out
    assert {e["name"] for e in events_out if e["value"] is None} >= {"contact_value", "handoff_consent"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors, "the failure must be logged"
    logged = caplog.text  # messages and any traceback
    for detail in PATIENT_DETAILS:
        assert detail.lower() not in logged.lower(), detail


def test_a_failing_case_store_still_gives_a_way_to_reach_the_team(caplog: pytest.LogCaptureFixture) -> None:
    store = FailingStore()
    dispatcher = CollectingDispatcher()
    with caplog.at_level(logging.DEBUG):
        events_out = asyncio.run(ActionCreateCase(store=store).run(
            dispatcher, tracker(handoff_slots(), patient_events()), {}))
    assert store.calls == 1
    assert_reachable_and_nothing_personal_logged(dispatcher, events_out, caplog)


def test_an_unreachable_database_still_gives_a_way_to_reach_the_team(monkeypatch, tmp_path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    from actions.shared import default_case_store

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # the database would have to live inside a file: it cannot be opened
    monkeypatch.setenv("TRIALBOT_DATABASE_URL", f"sqlite:///{blocker / 'cases.db'}")
    default_case_store.cache_clear()
    dispatcher = CollectingDispatcher()
    try:
        with caplog.at_level(logging.DEBUG):
            events_out = asyncio.run(ActionCreateCase().run(dispatcher, tracker(handoff_slots(), patient_events()),
                                                            {}))
    finally:
        default_case_store.cache_clear()
    assert_reachable_and_nothing_personal_logged(dispatcher, events_out, caplog)


def test_the_transcript_shows_button_titles_and_leaves_out_page_intents():
    events = [
        {"event": "user", "text": "/greet", "timestamp": 1},
        {"event": "bot", "text": "Hello", "timestamp": 2,
         "data": {"buttons": [{"title": "Talk to a person", "payload": "/request_human"}]}},
        {"event": "user", "text": "/request_human", "timestamp": 3},
        {"event": "bot", "text": "Is that okay?", "timestamp": 4, "data": {"buttons": []}},
        {"event": "user", "text": "yes", "timestamp": 5},
        {"event": "bot", "text": "Noted.", "timestamp": 6, "metadata": {"navigator": "sam"}},
    ]
    lines = [(m["role"], m["text"]) for m in transcript_of(tracker({}, events))]
    assert lines == [("bot", "Hello"), ("user", "Talk to a person"), ("bot", "Is that okay?"), ("user", "yes"),
                     ("navigator", "Noted.")]
