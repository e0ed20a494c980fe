"""Nothing is lost when the real web service or action server is killed (SIGKILL) and restarted during a
handoff; and when the case cannot be stored, the patient still gets a way to reach the team.

The three servers are started one by one (``servicestack``), so each can be killed and started again with the
same command, port and environment while Rasa keeps running.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servicestack import ServiceStack, start_services

from cases.store import CaseStore
from evaluation.handoff_client import (
    PHONE,
    PHONE_E164,
    REFERENCE,
    TRIAL,
    NavigatorClient,
    PatientChat,
    handoff_by_phone,
)

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
CASE_FAILED_START = "I'm sorry, something went wrong on our side"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceStack]:
    with start_services(tmp_path_factory.mktemp("restart-stack")) as stack:
        yield stack


@pytest.fixture(scope="module")
def store(services: ServiceStack) -> Iterator[CaseStore]:
    opened = CaseStore.from_url(services.database_url)
    opened.add_navigator("mei", PASSWORD, [TRIAL])
    yield opened
    opened.dispose()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as http:
        yield http


def said(texts: list[str]) -> str:
    return " ".join(texts)


def test_a_handoff_survives_restarts_of_the_web_service_and_the_action_server(services: ServiceStack,
                                                                               store: CaseStore,
                                                                               client: httpx.Client) -> None:
    chat = PatientChat(services.url, client)
    assert "Is that okay" in said(chat.say("I want to talk to a person"))
    assert "contacted" in said(chat.say("yes"))
    assert "phone number" in said(chat.say("phone"))

    # After consent, before the phone number: both servers crash and come back (new processes).
    web_pids = services.restart("web")
    action_pids = services.restart("actions")
    assert web_pids[0] != web_pids[1] and action_pids[0] != action_pids[1]

    # The form goes on where it was: the number is validated by the new action server, then language and time.
    assert "language" in said(chat.say(PHONE))
    assert "good time" in said(chat.say("English"))
    confirmation = said(chat.say("weekday mornings"))
    reference = REFERENCE.search(confirmation)
    assert reference, confirmation
    mine = [c for c in store.list_cases([TRIAL]) if c.sender_id == chat.sender]
    assert [c.reference for c in mine] == [reference.group(0)]
    case = mine[0]
    assert (case.contact_method, case.contact_value, case.preferred_language, case.preferred_time) == (
        "phone", PHONE_E164, "English", "weekday mornings")
    user_lines = [m["text"] for m in case.transcript if m["role"] == "user"]
    assert user_lines[:3] == ["I want to talk to a person", "yes", "phone"]  # from before the crash

    # A navigator signs in; then, after the case was created, both servers crash and come back again.
    navigator = NavigatorClient(services.url, client).sign_in("mei", PASSWORD)
    services.restart("web")
    services.restart("actions")

    # The session outlives the restart (stored in the database, cookie signed with the deployment's secret),
    # and the case and its whole transcript are there.
    seen = navigator.case_by_reference(case.reference)
    texts = [m["text"] for m in seen["transcript"]]
    assert "I want to talk to a person" in texts and any(case.reference in t for t in texts)
    assert seen["contact_value"] == PHONE_E164 and seen["status"] == "new"

    # Live reply across a web restart: the reply is in Rasa's tracker, so the widget's poll still gets it.
    navigator.call("POST", f"/api/navigator/cases/{seen['id']}/take")
    navigator.call("POST", f"/api/navigator/cases/{seen['id']}/reply", json={"text": "Hello, this is Mei."})
    services.restart("web")
    joined, reply = [m["text"] for m in chat.poll()["messages"]]
    assert "navigator (a person) has joined" in joined and reply == "Hello, this is Mei."
    assert chat.say("Thank you, can you call me at 10?") == []  # the bot stays silent while Mei holds it
    held = navigator.call("GET", f"/api/navigator/cases/{seen['id']}/transcript")
    assert held["held_by"] == "mei" and held["transcript"][-1]["text"] == "Thank you, can you call me at 10?"

    # Handed back, the bot (on its restarted action server) answers a trial question again.
    navigator.call("POST", f"/api/navigator/cases/{seen['id']}/hand-back")
    assert "Beijing" in said(chat.say("Where does the trial take place?"))
    assert len([c for c in store.list_cases([TRIAL]) if c.sender_id == chat.sender]) == 1
    assert store.get_case(case.id).held_by is None


def test_while_the_action_server_is_down_a_turn_fails_visibly_and_can_be_repeated(services: ServiceStack,
                                                                                 store: CaseStore,
                                                                                 client: httpx.Client) -> None:
    chat = PatientChat(services.url, client)
    chat.say("I want to talk to a person")
    chat.say("yes")
    chat.say("phone")
    services.kill("actions")
    try:
        response = client.post(f"{services.url}/api/chat", json={"sender": chat.sender, "message": PHONE},
                               timeout=120)
        failed_quietly = response.status_code == 200 and "language" not in response.text
    finally:
        services.start("actions")
    # Whatever Rasa answered without its action server, repeating the number now continues the form.
    assert failed_quietly or response.status_code >= 500, response.text
    assert "language" in said(chat.say(PHONE))  # the form is still waiting for the number
    chat.say("English")
    assert REFERENCE.search(said(chat.say("evenings")))
    assert len([c for c in store.list_cases([TRIAL]) if c.sender_id == chat.sender]) == 1


def test_when_the_case_cannot_be_stored_the_patient_can_still_reach_the_team(services: ServiceStack,
                                                                           client: httpx.Client,
                                                                           tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # the action server's database would have to live inside a file
    actions = services.services["actions"]
    good_env = dict(actions.env)
    actions.env = {**good_env, "TRIALBOT_DATABASE_URL": f"sqlite:///{blocker / 'cases.db'}"}
    services.restart("actions")
    try:
        chat = PatientChat(services.url, client)
        with pytest.raises(Exception) as raised:
            handoff_by_phone(chat)
        last = chat.texts[-1] if chat.texts else ""
        assert CASE_FAILED_START in last and "NCT07520357" in last, (raised.value, chat.texts[-3:])
        assert "handoff case could not be stored" in services.log_tail("actions", 50_000)  # logged, by type only
        logs = services.logs()
        assert not re.search(r"7946\D?0958|\+442079460958", logs), "contact details in a server log"
    finally:
        actions.env = good_env
        services.restart("actions")
