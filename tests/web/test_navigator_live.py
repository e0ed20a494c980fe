"""Live replies through Rasa's HTTP API (a localhost stand-in, ``navfakes``): the transcript from the
tracker, take over (pause), reply (a bot event marked navigator), hand back (resume), and the widget's
``/api/chat/messages`` polling."""

from __future__ import annotations

import time

import pytest
from navfixtures import PATIENT, RASA_TOKEN, make_case

pytestmark = pytest.mark.integration

T0 = 1_800_000_000.0
CONVERSATION = [
    {"event": "action", "name": "action_listen", "timestamp": T0},
    {"event": "user", "text": "I need to talk to someone", "timestamp": T0 + 1, "input_channel": "rest"},
    {"event": "bot", "text": "A navigator will contact you.", "timestamp": T0 + 2},
    {"event": "user", "text": "thanks", "timestamp": T0 + 3, "input_channel": "rest"},
]


def test_the_case_shows_the_transcript_from_rasa_and_keeps_it(as_navigator, case_store, fake_rasa) -> None:
    case = make_case(case_store)
    fake_rasa.add_conversation(PATIENT, CONVERSATION)
    shown = as_navigator("mei").get(f"/api/navigator/cases/{case.id}").json()
    assert [(m["role"], m["text"]) for m in shown["transcript"]] == [
        ("user", "I need to talk to someone"), ("bot", "A navigator will contact you."), ("user", "thanks")]
    assert shown["transcript"][0]["at"] == "2027-01-15T08:00:01+00:00"
    assert case_store.get_case(case.id).transcript == shown["transcript"]  # saved with the case
    [call] = fake_rasa.api_calls("GET")
    assert call.sender == PATIENT and call.query == {"include_events": "ALL", "token": RASA_TOKEN}


def test_without_rasa_the_saved_transcript_is_shown(as_navigator, case_store, fake_rasa) -> None:
    case = make_case(case_store)
    fake_rasa.down = True
    mei = as_navigator("mei")
    shown = mei.get(f"/api/navigator/cases/{case.id}")
    assert shown.status_code == 200
    assert [m["text"] for m in shown.json()["transcript"]] == ["hello", "Hello! I'm an automated assistant."]
    assert mei.get(f"/api/navigator/cases/{case.id}/transcript").json()["live"] is False
    page = mei.get(f"/navigator/cases/{case.id}")
    assert "could not be reached" in page.text and "Hello! I&#39;m an automated assistant." in page.text


def test_take_reply_and_hand_back(as_navigator, case_store, fake_rasa) -> None:
    case = make_case(case_store)
    fake_rasa.add_conversation(PATIENT, CONVERSATION)
    mei, lin = as_navigator("mei"), as_navigator("lin")
    base = f"/api/navigator/cases/{case.id}"

    assert mei.post(base + "/reply", json={"text": "Hello"}).status_code == 409  # take it over first
    taken = mei.post(base + "/take")
    assert taken.status_code == 200 and taken.json()["held_by"] == "mei"
    assert fake_rasa.paused[PATIENT] is True
    assert lin.post(base + "/take").status_code == 409  # held by mei
    assert lin.post(base + "/reply", json={"text": "me too"}).status_code == 409
    assert mei.post(base + "/reply", json={"text": "   "}).status_code == 422

    replied = mei.post(base + "/reply", json={"text": "Hi, this is Mei from the trial team."})
    assert replied.status_code == 200
    assert replied.json()["transcript"][-1]["role"] == "navigator"
    posted = [c for c in fake_rasa.api_calls("POST")]
    pause, joined = posted[0].body
    assert pause == {"event": "pause"}  # and the patient is told that a person has joined
    assert joined["event"] == "bot" and "navigator (a person) has joined" in joined["text"]
    assert joined["metadata"]["navigator"] is True and posted[0].query["execute_side_effects"] == "true"
    reply_call = posted[1]
    assert reply_call.query == {"include_events": "NONE", "execute_side_effects": "true",
                                "output_channel": "latest", "token": RASA_TOKEN}
    [event] = reply_call.body
    assert event["event"] == "bot" and event["text"] == "Hi, this is Mei from the trial team."
    assert event["metadata"]["navigator"] is True

    # The patient answers while the bot is paused; the navigator sees it in the transcript.
    fake_rasa.say_as_patient(PATIENT, "Thank you Mei")
    transcript = mei.get(base + "/transcript").json()
    assert transcript["live"] is True and transcript["held_by"] == "mei"
    assert [m["role"] for m in transcript["transcript"]][-2:] == ["navigator", "user"]

    back = mei.post(base + "/hand-back")
    assert back.status_code == 200 and back.json()["held_by"] is None
    assert fake_rasa.paused[PATIENT] is False
    left, resume = fake_rasa.api_calls("POST")[-1].body
    assert "handed this conversation back" in left["text"] and resume == {"event": "resume"}
    audit = [e["action"] for e in mei.get("/api/navigator/audit").json()]
    assert {"conversation_taken", "navigator_replied", "conversation_handed_back"} <= set(audit)
    assert "Hi, this is Mei" not in str(mei.get("/api/navigator/audit").json())  # no message text in the audit


def test_when_rasa_is_down_nothing_changes(as_navigator, case_store, fake_rasa) -> None:
    case = make_case(case_store)
    fake_rasa.down = True
    mei = as_navigator("mei")
    refused = mei.post(f"/api/navigator/cases/{case.id}/take")
    assert refused.status_code == 503 and refused.json()["error"] == "bot_unavailable"
    assert case_store.get_case(case.id).held_by is None


def test_a_wrong_rasa_token_is_an_error_not_a_silent_success(make_nav_client, nav_settings, case_store,
                                                             fake_rasa) -> None:
    from navfixtures import Navigator, sign_in
    from pydantic import SecretStr

    client = make_nav_client(nav_settings.model_copy(update={"rasa_token": SecretStr("wrong")}))
    mei = Navigator(client, sign_in(client))
    case = make_case(case_store)
    assert mei.post(f"/api/navigator/cases/{case.id}/take").status_code == 503
    assert case_store.get_case(case.id).held_by is None


# ---- the widget's polling ------------------------------------------------------------------------------------


def navigator_said(fake_rasa, text: str) -> None:
    fake_rasa.trackers[PATIENT].append({"event": "bot", "text": text, "timestamp": time.time(),
                                        "metadata": {"navigator": True}})


def test_widget_gets_only_navigator_messages_after_its_cursor(app_client, fake_rasa) -> None:
    fake_rasa.add_conversation(PATIENT, CONVERSATION)
    first = app_client.get("/api/chat/messages", params={"sender": PATIENT})
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    assert first.json() == {"messages": [], "cursor": 3}  # the bot's own replies came through /api/chat
    navigator_said(fake_rasa, "Hi, this is Mei.")
    navigator_said(fake_rasa, "Are you free now?")
    second = app_client.get("/api/chat/messages", params={"sender": PATIENT, "after": 3}).json()
    assert second == {"messages": [{"index": 4, "text": "Hi, this is Mei."},
                                   {"index": 5, "text": "Are you free now?"}], "cursor": 5}
    third = app_client.get("/api/chat/messages", params={"sender": PATIENT, "after": 5}).json()
    assert third == {"messages": [], "cursor": 5}


def test_widget_polling_serves_only_widget_conversations(app_client, fake_rasa) -> None:
    fake_rasa.add_conversation("123456789", [*CONVERSATION, {"event": "bot", "text": "secret reply",
                                                             "metadata": {"navigator": True}}], channel="telegram")
    response = app_client.get("/api/chat/messages", params={"sender": "123456789", "after": -1})
    assert response.json() == {"messages": [], "cursor": -1}
    unknown = app_client.get("/api/chat/messages", params={"sender": "never-seen"})
    assert unknown.json() == {"messages": [], "cursor": -1}


@pytest.mark.parametrize("params", [{}, {"sender": ""}, {"sender": "a b"}, {"sender": "x" * 129},
                                    {"sender": PATIENT, "after": "-2"}, {"sender": PATIENT, "after": "x"}])
def test_widget_polling_checks_its_input(app_client, params) -> None:
    assert app_client.get("/api/chat/messages", params=params).status_code == 422


def test_widget_polling_is_rate_limited(app_client, fake_rasa) -> None:
    fake_rasa.add_conversation(PATIENT, CONVERSATION)
    statuses = [app_client.get("/api/chat/messages", params={"sender": PATIENT}).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


def test_widget_polling_when_rasa_is_down_or_has_no_api(app_client, fake_rasa, make_standin, make_nav_client,
                                                         nav_settings) -> None:
    fake_rasa.down = True
    assert app_client.get("/api/chat/messages", params={"sender": PATIENT}).status_code == 503
    without_api = make_standin()  # answers 404 on /conversations/...: Rasa started without --enable-api
    client = make_nav_client(nav_settings.model_copy(update={"rasa_url": without_api.url}))
    response = client.get("/api/chat/messages", params={"sender": PATIENT, "after": 7})
    assert response.status_code == 200 and response.json() == {"messages": [], "cursor": 7}
