"""The console's transcript reads as the patient saw the conversation (``rasa_api.transcript_from_events``)."""

from __future__ import annotations

import pytest

from web.navigator.rasa_api import transcript_from_events

pytestmark = pytest.mark.unit

T0 = 1_800_000_000.0
GREETING_BUTTONS = {"buttons": [{"title": "Who can join?", "payload": "Who can join the trial?"},
                                {"title": "Talk to a person", "payload": "/request_human"}]}
CONSENT_BUTTONS = {"buttons": [{"title": "Yes, that's okay", "payload": "yes"}, {"title": "No", "payload": "no"}]}


def events() -> list[dict]:
    return [
        {"event": "action", "name": "action_listen", "timestamp": T0},
        {"event": "user", "text": "/greet", "timestamp": T0 + 1},
        {"event": "bot", "text": "Hello, I'm an automated assistant.", "data": GREETING_BUTTONS, "timestamp": T0 + 2},
        {"event": "user", "text": "/request_human", "timestamp": T0 + 3},
        {"event": "bot", "text": "Is that okay?", "data": CONSENT_BUTTONS, "timestamp": T0 + 4},
        {"event": "user", "text": "yes", "timestamp": T0 + 5},
        {"event": "bot", "text": "Hi, this is Mei.", "metadata": {"navigator": True}, "timestamp": T0 + 6},
        {"event": "user", "text": "/request_human", "timestamp": T0 + 7},  # typed: no button offered it
        {"event": "bot", "text": None, "data": {"custom": {"citations": []}}, "timestamp": T0 + 8},
    ]


def test_the_widgets_silent_greeting_is_left_out_and_intent_buttons_show_their_titles() -> None:
    transcript = transcript_from_events(events())
    assert [(m["role"], m["text"]) for m in transcript] == [
        ("bot", "Hello, I'm an automated assistant."),
        ("user", "Talk to a person"),
        ("bot", "Is that okay?"),
        ("user", "yes"),  # a plain-word payload is kept as the patient's own words
        ("navigator", "Hi, this is Mei."),
        ("user", "/request_human"),
    ]
    assert transcript[1]["at"] == "2027-01-15T08:00:03+00:00"


def test_odd_events_do_not_break_the_transcript() -> None:
    odd = [{"event": "bot", "text": "Pick one", "data": {"buttons": "not a list"}},
           {"event": "bot", "text": "Or", "data": {"buttons": [None, {"payload": 3}, {"payload": "/x"}]}},
           {"event": "user", "text": "/x", "timestamp": "not a time"}, "not an event", {"event": "user", "text": ""}]
    assert transcript_from_events(odd) == [{"role": "bot", "text": "Pick one", "at": ""},
                                           {"role": "bot", "text": "Or", "at": ""},
                                           {"role": "user", "text": "/x", "at": ""}]
