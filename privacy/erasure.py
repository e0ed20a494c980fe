"""A patient's "delete my data": their conversation's cases and its tracker events, from every store.

Rasa stores the turn that asked for the erasure after the action has run, so the tracker rows are deleted
again a few times shortly afterwards (``ERASE_RETRIES_S``): whatever Rasa writes for that turn goes too.
Events after ``up_to`` (a later, new conversation) are kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from cases.store import CaseStore
from privacy.tracker_erasure import TrackerStoreEraser

log = logging.getLogger(__name__)

ERASE_RETRIES_S = (0.5, 2.0, 5.0, 15.0, 30.0)
TURN_MARGIN_S = 10.0  # events of the erasure turn itself are stamped up to this long after the request


@dataclass(frozen=True)
class ErasureReport:
    """What one erasure removed (counts and references only: no patient data)."""

    case_references: list[str]
    tracker_events: int


def erase_conversation_data(sender_id: str, cases: CaseStore, trackers: TrackerStoreEraser,
                            requested_at: float | None = None, actor: str = "patient") -> ErasureReport:
    """Delete the conversation's cases and its tracker events up to the erasure turn."""
    up_to = (requested_at or time.time()) + TURN_MARGIN_S
    references = cases.erase_cases_of_sender(sender_id, actor)
    events = trackers.erase_conversation(sender_id, up_to=up_to)
    log.info("conversation erased: cases=%d tracker_events=%d", len(references), events)
    return ErasureReport(references, events)


async def erase_after_turn(sender_id: str, trackers: TrackerStoreEraser, requested_at: float,
                           delays_s: tuple[float, ...] = ERASE_RETRIES_S) -> int:
    """Delete the conversation's events again once Rasa has stored the erasure turn; returns the count."""
    erased = 0
    waited = 0.0
    for delay in delays_s:
        await asyncio.sleep(max(0.0, delay - waited))
        waited = delay
        try:
            erased += await asyncio.to_thread(trackers.erase_conversation, sender_id, requested_at + TURN_MARGIN_S)
        except Exception as error:  # noqa: BLE001 - a later retry or the scheduled purge finishes the job
            log.error("tracker erasure retry failed: %s", type(error).__name__)
    return erased
