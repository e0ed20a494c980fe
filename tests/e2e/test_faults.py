"""Faults on the real stack (servers started one by one, so each can be killed and restarted): the patient gets
the polite one-moment reply while a server is down, the conversation continues where it was once it is back,
and restarting Rasa and the web service loses no conversation or case. Also the load function on a tiny
count, and that no server's log holds the contact details or words a patient typed. No timing asserts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from evaluation.handoff_client import PHONE
from evaluation.reliability import build_parser
from evaluation.reliability_faults import FaultCheck, Patient, run_faults
from evaluation.reliability_load import PRESCREENING, QUESTIONS_PER_CONVERSATION, run_load
from evaluation.reliability_report import Figures, machine, render
from evaluation.reliability_stack import ReliabilityStack, start_services

pytestmark = pytest.mark.e2e

EMAIL_WORDS = "my neighbour Rosalind, rosalind.hart@example.org"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReliabilityStack]:
    with start_services(tmp_path_factory.mktemp("faults")) as running:
        yield running


def test_the_load_function_plays_whole_conversations_without_errors(stack: ReliabilityStack) -> None:
    result = asyncio.run(run_load(stack.url, conversations=2, duration_s=600, rounds=1, think_s=(0.0, 0.0)))
    assert [t.error for t in result.turns if t.error] == []
    assert result.conversations == {"question": 1, "prescreen": 1}
    assert result.prescreens_completed == 1  # the pre-screening really went to its summary
    kinds = [t.kind for t in result.turns]
    assert kinds.count("question") == 1 + QUESTIONS_PER_CONVERSATION
    assert kinds.count("prescreen") == len(PRESCREENING)
    assert all(t.status == 200 and t.latency_s > 0 for t in result.turns)

    figures = Figures(args=build_parser().parse_args(["--conversations", "2"]), date="today", machine=machine(),
                      load_before=0.0, load=result, baseline=result)
    report = render(figures)
    assert "| 0 errors at 2 concurrent conversations | 0 errors in 21 turns | yes |" in report
    assert "| load (2 concurrent), prescreen turns | 16 |" in report


@pytest.fixture(scope="module")
def fault_run(stack: ReliabilityStack) -> tuple[dict[str, FaultCheck], dict[str, dict[str, int]]]:
    checks, stored = run_faults(stack)
    return {check.scenario.split(".")[0]: check for check in checks}, stored


def test_the_set_up_reached_question_2_and_made_a_case(fault_run) -> None:
    checks, _ = fault_run
    assert checks["0a"].passed, checks["0a"]
    assert checks["0b"].passed, checks["0b"]


def test_action_server_killed_mid_conversation_gets_the_one_moment_reply(fault_run) -> None:
    check = fault_run[0]["1"]
    assert check.passed, check
    assert "x-chat-fault: actions_unavailable" in check.observed and "One moment please" in check.observed


def test_action_server_restarted_the_conversation_continues_where_it_was(fault_run) -> None:
    check = fault_run[0]["2"]
    assert check.passed, check
    assert "Question 3 of 14" in check.observed


def test_rasa_killed_gets_the_one_moment_reply(fault_run) -> None:
    check = fault_run[0]["3a"]
    assert check.passed, check
    assert "bot_unavailable" in check.observed


def test_rasa_and_web_restarted_nothing_is_lost_and_the_conversation_goes_on(fault_run) -> None:
    checks, stored = fault_run
    assert checks["3b"].passed, checks["3b"]
    assert stored["after"]["conversations"] >= stored["before"]["conversations"] >= 3
    assert stored["after"]["events"] >= stored["before"]["events"] > 0
    assert stored["after"]["cases"] == stored["before"]["cases"] >= 1
    assert checks["3c"].passed, checks["3c"]
    assert "Question 4 of 14" in checks["3c"].observed


def test_no_server_log_holds_contact_details_or_typed_words(stack: ReliabilityStack, fault_run) -> None:
    with httpx.Client(trust_env=False) as client:
        patient = Patient(stack.url, client)
        patient.say(f"please ask {EMAIL_WORDS} to call me")
        assert patient.status == 200
    logs = stack.logs()
    assert logs  # the servers did write logs
    for forbidden in (PHONE, "7946 0958", "rosalind.hart@example.org", "Rosalind", "I'm 62", "carboplatin"):
        assert forbidden not in logs, forbidden
