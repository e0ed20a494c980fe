"""The fault scenarios of the reliability benchmark, run against a :class:`ReliabilityStack` (real servers).

A patient is in the middle of the pre-screening (question 2 asked) and another one has been handed off to a
navigator (a case with a reference) when:

1. the action server is killed (SIGKILL): the patient's answer gets the polite one-moment reply (HTTP 200,
   ``X-Chat-Fault``), not silence or an error page;
2. it is started again with the same command: the same answer, sent again, gets question 3, so the
   conversation continues where it was;
3. Rasa is killed (the patient gets the one-moment reply again), then started, and the web service is
   restarted: every tracker event, conversation and case stored before is still there, the case can still be
   found by its reference, and the next answer gets question 4.

Each step is a :class:`FaultCheck` (what was expected, what was seen, passed or not); nothing here raises on
a failed expectation, so the benchmark can report it.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass, field

import httpx

from evaluation.handoff_client import HandoffError, PatientChat, handoff_by_phone
from evaluation.reliability_stack import ReliabilityStack

FAULT_HEADER = "x-chat-fault"
ONE_MOMENT_START = "One moment please"
SCREENING_START = ["check if I can join", "yes", "I'm 62"]  # consent, then age: question 2 is asked next
ANSWER_2, ANSWER_3 = "yes", "none of these"


@dataclass
class FaultCheck:
    scenario: str
    expected: str
    observed: str
    passed: bool
    seconds: float = 0.0  # how long the restart took, where there was one


@dataclass
class Patient:
    """One conversation; keeps the last reply's status, fault header and text."""

    url: str
    client: httpx.Client
    sender: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: int = 0
    fault: str | None = None
    text: str = ""

    def say(self, message: str) -> str:
        try:
            response = self.client.post(f"{self.url}/api/chat", json={"sender": self.sender, "message": message},
                                        timeout=120)
        except httpx.HTTPError as exc:
            self.status, self.fault, self.text = 0, None, f"no answer ({type(exc).__name__})"
            return self.text
        self.status, self.fault = response.status_code, response.headers.get(FAULT_HEADER)
        body = response.json() if response.status_code == 200 else []
        self.text = " ".join(m.get("text") or "" for m in body) if body else response.text[:200]
        return self.text

    def seen(self) -> str:
        fault = f", {FAULT_HEADER}: {self.fault}" if self.fault else ""
        return f"HTTP {self.status}{fault}: {self.text[:160]!r}"


def _one_moment(patient: Patient, fault: str) -> bool:
    return patient.status == 200 and patient.fault == fault and patient.text.startswith(ONE_MOMENT_START)


def case_references(stack: ReliabilityStack) -> set[str]:
    with sqlite3.connect(f"file:{stack.cases_db}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT reference FROM cases")}


def run_faults(stack: ReliabilityStack) -> tuple[list[FaultCheck], dict[str, dict[str, int]]]:
    """Run the three scenarios in order; returns the checks and what was stored before and after restarts."""
    checks: list[FaultCheck] = []
    with httpx.Client(trust_env=False) as client:
        patient = Patient(stack.url, client)
        for message in SCREENING_START:
            patient.say(message)
        ready = "Question 2 of 14" in patient.text
        checks.append(FaultCheck("0a. set-up", "pre-screening at question 2", patient.seen(), ready))
        try:
            reference = handoff_by_phone(PatientChat(stack.url, client))
        except HandoffError as exc:
            reference = "(none)"
            checks.append(FaultCheck("0b. set-up", "a handoff case with a reference", str(exc)[:200], False))
        else:
            checks.append(FaultCheck("0b. set-up", "a handoff case with a reference", reference, True))

        stack.kill("actions")
        patient.say(ANSWER_2)
        checks.append(FaultCheck("1. action server killed", "200 one-moment reply (actions_unavailable)",
                                 patient.seen(), _one_moment(patient, "actions_unavailable")))

        seconds = stack.start("actions")
        patient.say(ANSWER_2)
        checks.append(FaultCheck("2. action server restarted", "the same answer gets question 3",
                                 patient.seen(), patient.status == 200 and "Question 3 of 14" in patient.text,
                                 seconds))

        before = stack.stored()
        events_before = stack.events_of(patient.sender)
        stack.kill("rasa")
        patient.say(ANSWER_3)
        checks.append(FaultCheck("3a. Rasa killed", "200 one-moment reply (bot_unavailable)", patient.seen(),
                                 _one_moment(patient, "bot_unavailable")))
        started = time.monotonic()
        stack.start("rasa")
        stack.restart("web")
        seconds = time.monotonic() - started
        after = stack.stored()
        kept = all(after[key] >= before[key] for key in before) and stack.events_of(patient.sender) == events_before
        checks.append(FaultCheck(
            "3b. Rasa and web restarted", "every event, conversation and case still stored",
            f"before {before}, after {after}; this conversation {events_before} -> "
            f"{stack.events_of(patient.sender)} events; case {reference} "
            f"{'found' if reference in case_references(stack) else 'MISSING'}",
            kept and reference in case_references(stack), seconds))
        patient.say(ANSWER_3)
        checks.append(FaultCheck("3c. conversation after the restarts", "the next answer gets question 4",
                                 patient.seen(), patient.status == 200 and "Question 4 of 14" in patient.text))
    return checks, {"before": before, "after": after}
