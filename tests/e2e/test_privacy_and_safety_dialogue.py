"""Through the real stack: a handoff case, then "delete my data" erases the case and the conversation from the
case database and Rasa's tracker store; urgent symptoms and medical-advice requests; consent withdrawal."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from cases.store import CaseStore
from privacy.tracker_erasure import TrackerStoreEraser

pytestmark = pytest.mark.e2e


def chat(stack, message: str, sender: str) -> str:
    response = httpx.post(f"{stack.url}/api/chat", json={"sender": sender, "message": message}, timeout=60)
    assert response.status_code == 200, response.text
    return "\n".join(m.get("text", "") for m in response.json())


def stores(stack) -> tuple[CaseStore, TrackerStoreEraser]:
    return (CaseStore.from_url(f"sqlite:///{stack.log_dir / 'cases.db'}"),
            TrackerStoreEraser.from_url(f"sqlite:///{stack.log_dir / 'tracker.db'}"))


def hand_off(stack, sender: str) -> str:
    assert "Is that okay?" in chat(stack, "I want to talk to a person", sender)
    assert "contacted" in chat(stack, "yes", sender)
    assert "phone number" in chat(stack, "phone", sender)
    assert "language" in chat(stack, "+44 20 7946 0958", sender).lower()
    chat(stack, "English", sender)
    return chat(stack, "weekday mornings", sender)


def cases_of(cases: CaseStore, sender: str) -> list:
    return [c for c in cases.list_cases(["NCT07520357"]) if c.sender_id == sender]


def test_delete_my_data_erases_the_case_and_the_conversation_from_every_store(stack):
    cases, trackers = stores(stack)
    patient, other = uuid.uuid4().hex, uuid.uuid4().hex
    assert "case reference" in hand_off(stack, patient)
    chat(stack, "hello", other)
    assert len(cases_of(cases, patient)) == 1 and trackers.count_events(patient) > 10

    assert "can't be undone" in chat(stack, "please delete my data", patient)
    assert "deleted this conversation" in chat(stack, "yes", patient)

    deadline = time.monotonic() + 60
    while trackers.count_events(patient) and time.monotonic() < deadline:
        time.sleep(1)
    assert trackers.count_events(patient) == 0
    assert cases_of(cases, patient) == []
    assert trackers.count_events(other) > 0  # someone else's conversation is untouched
    # the next message starts afresh: nothing of the earlier conversation is left to the bot either
    assert "automated assistant" in chat(stack, "hello", patient)


def test_declining_the_erasure_keeps_everything(stack):
    cases, trackers = stores(stack)
    patient = uuid.uuid4().hex
    hand_off(stack, patient)
    chat(stack, "erase my data", patient)
    assert "haven't deleted anything" in chat(stack, "no", patient)
    assert len(cases_of(cases, patient)) == 1 and trackers.count_events(patient) > 10


def test_urgent_symptoms_in_the_middle_of_the_pre_screening_get_the_safety_message_first(stack):
    patient = uuid.uuid4().hex
    chat(stack, "check if I can join", patient)
    chat(stack, "yes", patient)
    reply = chat(stack, "I have a fever of 39 and I can't breathe", patient)
    assert reply.lower().index("emergency") < reply.index("Is that okay?")  # safety first, then the handoff
    assert "contacted" in chat(stack, "yes", patient)


def test_medical_advice_is_declined_with_a_pointer_to_the_doctor(stack):
    reply = chat(stack, "Should I stop my chemo before joining?", uuid.uuid4().hex)
    assert "doctor" in reply.lower() and "can't" in reply.lower()


def test_withdrawing_consent_removes_health_data_from_the_case(stack):
    cases, _ = stores(stack)
    patient = uuid.uuid4().hex
    hand_off(stack, patient)
    assert "withdrawn your consent" in chat(stack, "I withdraw my consent", patient)
    [case] = cases_of(cases, patient)
    assert case.contact_value is None and case.transcript == [] and case.status == "closed"


def test_two_unanswered_questions_start_a_handoff_that_keeps_them_for_the_navigator(stack):
    cases, _ = stores(stack)
    patient = uuid.uuid4().hex
    first = chat(stack, "What is the best diet for type 2 diabetes?", patient)
    assert "can only answer questions about this trial" in first and "Is that okay?" not in first
    second = chat(stack, "Which sunscreen is best for children?", patient)
    assert "navigator" in second and "Is that okay?" in second  # the handoff starts by asking consent
    assert "contacted" in chat(stack, "yes", patient)
    chat(stack, "here in this chat", patient)
    chat(stack, "English", patient)
    assert "case reference" in chat(stack, "any time", patient)
    [case] = cases_of(cases, patient)
    assert case.unanswered_questions == ["What is the best diet for type 2 diabetes?",
                                         "Which sunscreen is best for children?"]
    assert case.contact_method == "chat" and case.contact_value is None
