"""Safety first: the urgent-symptom message (before anything else) and the kind decline of requests
for individual medical advice. Detection lives in the ``safety`` package (patterns as data)."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from safety.advice import decline_message, detect_medical_advice
from safety.urgent import detect_urgent, safety_message

log = logging.getLogger(__name__)

GENERIC_URGENT = (
    "What you describe may need urgent care. Please call your local emergency number or contact your treating "
    "team now; don't wait for a reply here. I'll also alert a patient navigator."
)
GENERIC_ADVICE = (
    "I'm sorry, I can't give personal medical advice: I'm not a doctor and I don't know your situation. Please "
    "ask your doctor or treating team, or type \"talk to a person\" to reach a patient navigator."
)


class ActionSafetyMessage(Action):
    """Tells the patient to get help now, marks the conversation urgent (the handoff follows)."""

    def name(self) -> str:
        return "action_safety_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        finding = detect_urgent(tracker.latest_message.get("text") or "")
        dispatcher.utter_message(text=safety_message(finding) if finding else GENERIC_URGENT)
        log.warning("urgent symptom reported: category=%s", finding.category if finding else "unspecified")
        return [SlotSet("urgent", True)]


class ActionDeclineAdvice(Action):
    """Declines dosing, treatment-change, personal-result and prognosis questions kindly, with the reason."""

    def name(self) -> str:
        return "action_decline_advice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        finding = detect_medical_advice(tracker.latest_message.get("text") or "")
        dispatcher.utter_message(text=decline_message(finding) if finding else GENERIC_ADVICE,
                                 buttons=[{"title": "Talk to a person", "payload": "/request_human"}])
        return []
