"""Handoff to a human navigator: consent, how to be contacted (validated), language and time, then a
case in the case database with the transcript, pre-screening results and unanswered questions."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import answer_parsing as parsing
from actions.contact_validation import normalize_email, normalize_phone
from actions.shared import TRIAL_ID, default_case_store

log = logging.getLogger(__name__)

CONSENT_VERSION = "handoff-consent-v1"
CONTACT_SLOTS = ["handoff_consent", "contact_method", "contact_value", "preferred_language", "preferred_time"]
RESPONSE_TIME = {"urgent": "as soon as possible, usually within a few hours",
                 "normal": "within one working day"}
HOW = {"phone": "by phone", "email": "by email", "chat": "here in this chat"}
CASE_FAILED_MESSAGE = (
    "I'm sorry, something went wrong on our side and I couldn't pass your request on. Please try again in a few "
    "minutes, or contact the trial team directly through the contacts on the trial's registry page "
    "(NCT07520357). If you feel unwell, contact your treating team or emergency services now.")
METHOD_WORDS = {"phone": ("phone", "call", "ring", "telephone", "mobile", "cell"),
                "email": ("email", "e-mail", "mail"),
                "chat": ("chat", "here", "this chat", "message", "online")}


def transcript_of(tracker: Tracker) -> list[dict[str, Any]]:
    """User and bot messages of the conversation, in order (works for every channel). A button's payload
    ("/request_human") is shown as the button's title the patient saw; the widget's silent "/greet" is left out."""
    messages = []
    titles: dict[str, str] = {}
    for event in tracker.events:
        kind = event.get("event")
        text = event.get("text")
        if kind not in ("user", "bot") or not text:
            continue
        if kind == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            titles = {b.get("payload"): b.get("title") for b in buttons if b.get("payload") and b.get("title")}
        elif text.startswith("/"):
            if text not in titles:
                continue  # an intent sent by the page itself, not typed or chosen by the patient
            text = titles[text]
        navigator = kind == "bot" and bool((event.get("metadata") or {}).get("navigator"))
        role = "navigator" if navigator else kind
        at = datetime.fromtimestamp(event.get("timestamp") or 0, UTC).isoformat(timespec="seconds")
        messages.append({"role": role, "text": text, "at": at})
    return messages


def parse_method(text: str) -> str | None:
    lowered = parsing.normalize(text)
    if lowered in METHOD_WORDS:
        return lowered
    if "@" in lowered:
        return "email"
    for method, words in METHOD_WORDS.items():
        if any(parsing._has(lowered, word) for word in words):
            return method
    return "phone" if normalize_phone(text) else None


class ValidateHandoffForm(FormValidationAction):
    """Validates consent and contact details; asks for a number or address only when needed."""

    def name(self) -> str:
        return "validate_handoff_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot("handoff_consent") is False:
            return ["handoff_consent"]
        if tracker.get_slot("contact_method") == "chat":
            return [s for s in CONTACT_SLOTS if s != "contact_value"]
        return CONTACT_SLOTS

    def validate_handoff_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        answer = value if isinstance(value, bool) else parsing.parse_bool(str(value))
        if isinstance(answer, bool):
            return {"handoff_consent": answer}
        dispatcher.utter_message(text="Please answer yes or no.")
        return {"handoff_consent": None}

    def validate_contact_method(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        text = str(value)
        method = parse_method(text)
        if method is None:
            dispatcher.utter_message(text="Sorry, I didn't catch that. Phone, email, or here in this chat?")
            return {"contact_method": None}
        result: dict[str, Any] = {"contact_method": method}
        # "call me on +86 138 0013 8000" gives the number at once
        direct = normalize_email(text.split()[-1]) if method == "email" else normalize_phone(text)
        if method != "chat" and direct:
            result["contact_value"] = direct
        return result

    def validate_contact_value(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        method = tracker.get_slot("contact_method")
        text = str(value).strip()
        if method == "email":
            email = next((normalize_email(w) for w in text.split() if "@" in w), None)
            if email:
                return {"contact_value": email}
            dispatcher.utter_message(text="That doesn't look like a complete email address (for example "
                                          "name@example.com). Could you type it again?")
        else:
            phone = normalize_phone(text)
            if phone:
                return {"contact_value": phone}
            dispatcher.utter_message(text="That doesn't look like a complete phone number. Please include the "
                                          "country code if you are outside China, for example +44 20 7946 0958.")
        return {"contact_value": None}

    def validate_preferred_language(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        text = " ".join(str(value).split())[:40]
        return {"preferred_language": text or None}

    def validate_preferred_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        text = " ".join(str(value).split())[:80]
        return {"preferred_time": text or None}


def case_payload(tracker: Tracker) -> dict[str, Any]:
    """Everything a navigator needs, from the conversation's slots and events."""
    from actions.prescreening import collected_facts
    from actions.shared import trial_criteria

    screened = tracker.get_slot("screening_consent") is True
    urgent = bool(tracker.get_slot("urgent"))
    return {
        "trial_id": TRIAL_ID,
        "sender_id": tracker.sender_id,
        "channel": tracker.get_latest_input_channel() or "unknown",
        "urgency": "urgent" if urgent else "normal",
        "contact_method": tracker.get_slot("contact_method"),
        "contact_value": tracker.get_slot("contact_value") if tracker.get_slot("contact_method") != "chat" else None,
        "preferred_language": tracker.get_slot("preferred_language"),
        "preferred_time": tracker.get_slot("preferred_time"),
        "consent_given_at": datetime.now(UTC),
        "consent_version": CONSENT_VERSION,
        "screening_outcome": tracker.get_slot("screening_outcome") if screened else None,
        "screening_facts": collected_facts(tracker, trial_criteria()) if screened else None,
        "screening_result": tracker.get_slot("screening_result") if screened else None,
        "unanswered_questions": list(tracker.get_slot("unanswered_questions") or []),
        "transcript": transcript_of(tracker),
    }


class ActionCreateCase(Action):
    """Opens (or updates) the navigator case and tells the patient what happens next."""

    def __init__(self, store: Any = None) -> None:
        self._store = store

    def name(self) -> str:
        return "action_create_case"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in CONTACT_SLOTS]
        if tracker.get_slot("handoff_consent") is not True:
            dispatcher.utter_message(text=(
                "No problem: I haven't passed anything on. You can keep asking me about the trial, and you can ask "
                "for a person again at any time. If you feel unwell, contact your treating team or emergency "
                "services."))
            return reset
        from cases.schemas import CaseCreate

        urgency = "urgent" if tracker.get_slot("urgent") else "normal"
        try:
            payload = case_payload(tracker)
            store = self._store or await asyncio.to_thread(default_case_store)
            case = await asyncio.to_thread(store.create_case, CaseCreate(**payload))
        except Exception as error:  # noqa: BLE001 - the patient must still get a way to reach the team
            log.error("handoff case could not be stored: %s (urgency=%s)", type(error).__name__, urgency)
            dispatcher.utter_message(text=CASE_FAILED_MESSAGE)
            return [*reset, SlotSet("case_reference", None)]
        dispatcher.utter_message(text=(
            f"Thank you. Your case reference is {case.reference}. A patient navigator will contact you "
            f"{HOW.get(payload['contact_method'] or 'chat', 'here')} {RESPONSE_TIME[urgency]}. "
            "If you feel unwell in the meantime, contact your treating team or emergency services; don't wait for us."))
        log.info("handoff case opened: urgency=%s channel=%s", urgency, payload["channel"])
        return [*reset, SlotSet("case_reference", case.reference)]


class ActionAskContactValue(Action):
    """Asks for the phone number or the email address, as chosen."""

    def name(self) -> str:
        return "action_ask_contact_value"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("contact_method") == "email":
            dispatcher.utter_message(text="What email address should the navigator write to?")
        else:
            dispatcher.utter_message(text="What phone number should the navigator call? Please include the country "
                                          "code if you are outside China.")
        return []
