"""``action_answer_question``: answer from the trial's documents with citations, or decline honestly."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.shared import default_retriever
from knowledge.answer import Answer
from knowledge.retriever import Retriever

log = logging.getLogger(__name__)

TALK_TO_PERSON = {"title": "Talk to a person", "payload": "/request_human"}
START_SCREENING = {"title": "Check if I might be able to join", "payload": "/start_prescreening"}
UNANSWERED_BEFORE_HANDOFF = 2
OFFER_AFTER_UNANSWERED = ("I haven't been able to answer several of your questions. A patient navigator (a person) "
                          "can look into them for you.")


def answer_messages(answer: Answer) -> dict[str, Any]:
    """The keyword arguments of ``utter_message`` for an answer: text, buttons and the citations."""
    buttons = []
    if answer.eligibility_question and answer.confident:
        buttons.append(START_SCREENING)
    if not answer.confident:
        buttons.append(TALK_TO_PERSON)
    message: dict[str, Any] = {"text": answer.answer}
    if buttons:
        message["buttons"] = buttons
    if answer.citations:
        message["json_message"] = {"citations": answer.to_dict()["citations"]}
    return message


class ActionAnswerQuestion(Action):
    """Looks the latest user message up in the knowledge index (loaded once, at server start)."""

    def __init__(self, retriever: Retriever | None = None) -> None:
        self._retriever = retriever or default_retriever()

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
                  ) -> list[EventType]:
        question = tracker.latest_message.get("text") or ""
        answer = self._retriever.ask(question)
        dispatcher.utter_message(**answer_messages(answer))
        log.info("answered: confident=%s citations=%d", answer.confident, len(answer.citations))
        if answer.confident:
            return []
        unanswered = [*(tracker.get_slot("unanswered_questions") or []), question][-20:]
        events: list[EventType] = [SlotSet("unanswered_questions", unanswered)]
        in_form = bool((tracker.active_loop or {}).get("name"))
        if len(unanswered) == UNANSWERED_BEFORE_HANDOFF and not in_form:
            # repeated questions the bot could not answer start a handoff (the form asks for consent first)
            dispatcher.utter_message(text=OFFER_AFTER_UNANSWERED)
            events.append(FollowupAction("handoff_form"))
        return events
