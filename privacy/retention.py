"""Retention: conversations idle and cases untouched for longer than the retention period are erased.

``trialbot purge`` runs it once; the action server runs it on a schedule (``purge_interval_s``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cases.store import CaseStore
from privacy.tracker_erasure import TrackerStoreEraser

log = logging.getLogger(__name__)
PURGE_ACTOR = "retention"


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed, or would remove in a dry run."""

    cutoff: datetime
    conversations: int
    tracker_events: int
    case_references: list[str]


def purge_expired(cases: CaseStore, trackers: TrackerStoreEraser, retention_days: int,
                  now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Erase conversations and cases older than ``retention_days`` (nothing is deleted in a dry run)."""
    if retention_days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    senders = trackers.senders_idle_since(cutoff.timestamp())
    if dry_run:
        old_cases = [c.reference for c in cases.cases_updated_before(cutoff)]
        events = sum(trackers.count_events(sender) for sender in senders)
        return PurgeReport(cutoff, len(senders), events, old_cases)
    events = sum(trackers.erase_conversation(sender) for sender in senders)
    references = cases.purge_cases_before(cutoff, PURGE_ACTOR)
    log.info("purge: conversations=%d tracker_events=%d cases=%d", len(senders), events, len(references))
    return PurgeReport(cutoff, len(senders), events, references)
