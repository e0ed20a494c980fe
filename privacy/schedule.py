"""The scheduled retention purge: the action server runs ``purge_expired`` every ``purge_interval_s``."""

from __future__ import annotations

import asyncio
import logging

from cases.store import CaseStore
from privacy.retention import purge_expired
from privacy.tracker_erasure import TrackerStoreEraser
from trialbot.settings import PrivacySettings

log = logging.getLogger(__name__)


async def purge_periodically(settings: PrivacySettings, runs: int | None = None) -> None:
    """Purge now, then every ``purge_interval_s`` (forever, or ``runs`` times); failures are logged and retried."""
    done = 0
    while runs is None or done < runs:
        try:
            cases = CaseStore.from_url(settings.database_url)
            trackers = TrackerStoreEraser.from_url(settings.tracker_database_url())
            try:
                await asyncio.to_thread(purge_expired, cases, trackers, settings.retention_days)
            finally:
                cases.dispose()
                trackers.dispose()
        except Exception as error:  # noqa: BLE001 - the next run tries again
            log.error("scheduled purge failed: %s", type(error).__name__)
        done += 1
        if runs is None or done < runs:
            await asyncio.sleep(settings.purge_interval_s)
