"""A patient's privacy rights in the chat: "delete my data" (after a confirmation) and withdrawing consent."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.shared import default_case_store, default_tracker_eraser
from privacy.erasure import erase_after_turn, erase_conversation_data

log = logging.getLogger(__name__)

ERASED_MESSAGE = (
    "Done: I've deleted this conversation, your answers and contact details, and any request passed to a "
    "navigator. If you write again, we start afresh.")
ERASE_FAILED_MESSAGE = (
    "I'm sorry, I couldn't delete your data just now. Please try again in a few minutes, or type \"talk to a "
    "person\" and a navigator will make sure it is deleted.")
WITHDRAWN_MESSAGE = (
    "Understood: you've withdrawn your consent. I won't use or pass on what you've shared, I've removed your "
    "pre-screening answers and contact details from any request to a navigator, and I won't ask health questions "
    "unless you agree again. If you'd also like this conversation deleted, type \"delete my data\".")
WITHDRAW_FAILED_MESSAGE = (
    "I'm sorry, I couldn't record that just now. Please try again in a few minutes, or type \"talk to a person\".")


class ActionEraseMyData(Action):
    """Erases the conversation's cases and tracker events, then again once Rasa has stored this turn."""

    def __init__(self, cases: Any = None, trackers: Any = None) -> None:
        self._cases = cases
        self._trackers = trackers
        self._pending: set[asyncio.Task] = set()

    def name(self) -> str:
        return "action_erase_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        requested_at = time.time()
        try:
            cases = self._cases or await asyncio.to_thread(default_case_store)
            trackers = self._trackers or await asyncio.to_thread(default_tracker_eraser)
            await asyncio.to_thread(erase_conversation_data, tracker.sender_id, cases, trackers, requested_at)
        except Exception as error:  # noqa: BLE001 - the patient must hear that it did not work
            log.error("erasure failed: %s", type(error).__name__)
            dispatcher.utter_message(text=ERASE_FAILED_MESSAGE)
            return []
        task = asyncio.get_running_loop().create_task(erase_after_turn(tracker.sender_id, trackers, requested_at))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        dispatcher.utter_message(text=ERASED_MESSAGE)
        return [AllSlotsReset()]


class ActionWithdrawConsent(Action):
    """Records the withdrawal (time), forgets the answers in the conversation and on any case."""

    def __init__(self, cases: Any = None) -> None:
        self._cases = cases

    def name(self) -> str:
        return "action_withdraw_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            cases = self._cases or await asyncio.to_thread(default_case_store)
            references = await asyncio.to_thread(cases.withdraw_consent, tracker.sender_id, "patient")
        except Exception as error:  # noqa: BLE001 - the patient must hear that it did not work
            log.error("consent withdrawal failed: %s", type(error).__name__)
            dispatcher.utter_message(text=WITHDRAW_FAILED_MESSAGE)
            return []
        log.info("consent withdrawn: cases=%d", len(references))
        dispatcher.utter_message(text=WITHDRAWN_MESSAGE)
        withdrawn_at = datetime.now(UTC).isoformat(timespec="seconds")
        return [AllSlotsReset(), SlotSet("consent_withdrawn_at", withdrawn_at)]
