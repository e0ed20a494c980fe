"""Whole pre-screening conversations in free text through /api/chat against the real servers."""

import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e

CLEAR_ANSWERS = ["yes", "none of these", "yes, he had carboplatin and etoposide", "yes, from last year", "yes",
                 "he can walk around and look after himself but can't do heavy work", "no", "none of these",
                 "no, it hasn't spread to the brain", "no", "no", "no", "no"]


class Patient:
    def __init__(self, stack):
        self.url = stack.url
        self.sender = uuid.uuid4().hex

    def say(self, message: str) -> list[dict]:
        response = httpx.post(f"{self.url}/api/chat", json={"sender": self.sender, "message": message}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def text(self, message: str) -> str:
        return "\n".join(m.get("text") or "" for m in self.say(message))


def screening_of(messages: list[dict]) -> dict | None:
    return next((m["custom"]["screening"] for m in messages if "screening" in (m.get("custom") or {})), None)


def test_a_caregiver_completes_the_pre_screening_in_free_text(stack):
    patient = Patient(stack)
    consent = patient.text("can my dad join this trial?")
    assert "Do you agree" in consent and "stop" in consent
    assert "Question 1 of 14" in patient.text("yes")
    assert "Question 2 of 14" in patient.text("my dad is seventy")
    messages = []
    for answer in CLEAR_ANSWERS:
        messages = patient.say(answer)
    summary = "\n".join(m.get("text") or "" for m in messages)
    assert "possibly eligible; the trial team confirms" in summary
    assert "you are eligible" not in summary.lower()
    assert "✓ Age 70 is within the trial's age range" in summary
    assert screening_of(messages)["outcome"] == "possibly_eligible"
    assert any(b["payload"] == "/request_human" for m in messages for b in m.get("buttons", []))
    # the end of a pre-screening leads to a navigator: "yes" starts the handoff, which asks consent first
    assert "patient navigator" in patient.text("yes")


def test_the_results_join_the_navigator_case(stack):
    from cases.store import CaseStore

    patient = Patient(stack)
    patient.say("check if I can join")
    patient.say("yes")
    patient.say("I'm 64")
    for answer in CLEAR_ANSWERS:
        patient.say(answer)
    for answer in ["yes", "yes", "email", "pat@example.org", "English", "afternoons"]:
        reply = patient.text(answer)
    assert "case reference" in reply
    cases = CaseStore.from_url(f"sqlite:///{stack.log_dir / 'cases.db'}")
    [case] = [c for c in cases.list_cases(["NCT07520357"]) if c.sender_id == patient.sender]
    assert case.screening_outcome == "possibly_eligible" and case.screening_facts["age"] == 64
    assert case.screening_result.criteria and case.contact_value == "pat@example.org"
    assert any(m["text"] == "I'm 64" and m["role"] == "user" for m in case.transcript)


def test_a_clear_exclusion_stops_early_and_explains_kindly(stack):
    patient = Patient(stack)
    patient.say("check if I can join")
    patient.say("yes")
    for answer in ["I'm 55", "yes", "no", "yes", "yes", "yes", "0", "no"]:
        patient.say(answer)
    messages = patient.say("I had Enhertu last year")
    summary = "\n".join(m.get("text") or "" for m in messages)
    assert "I'll stop the questions here" in summary and "not a final decision" in summary
    assert "NCT07014540" in summary
    assert screening_of(messages)["outcome"] == "not_eligible"


def test_a_question_mid_screening_is_answered_and_a_correction_is_taken(stack):
    patient = Patient(stack)
    patient.say("I want to see if I can take part")
    patient.say("yes")
    patient.say("62")
    reply = patient.text("how often is the drug given?")
    assert "every 3 weeks" in reply and "Question 2 of 14" in reply
    correction = patient.say("actually I'm 76")
    text = "\n".join(m.get("text") or "" for m in correction)
    assert "changed the age to 76" in text
    assert screening_of(correction)["outcome"] == "not_eligible"


def test_stop_ends_the_screening_and_no_consent_asks_nothing(stack):
    patient = Patient(stack)
    patient.say("check eligibility")
    patient.say("yes")
    assert "stopped the pre-screening" in patient.text("stop")
    assert "Question" not in patient.text("where is the trial?")
    other = Patient(stack)
    other.say("check if I can join")
    declined = other.text("no")
    assert "won't ask any health questions" in declined and "Question" not in declined
