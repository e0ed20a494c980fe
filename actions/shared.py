"""Resources the action server loads once and every action shares: the retriever and the trial's criteria."""

from __future__ import annotations

from functools import lru_cache

from actions.eligibility.cli import default_criteria_path
from actions.eligibility.criteria import TrialCriteria, load_trial_criteria
from knowledge.retriever import Retriever
from trialbot.settings import KnowledgeSettings

TRIAL_ID = "NCT07520357"


@lru_cache(maxsize=1)
def default_retriever() -> Retriever:
    """The knowledge retriever, loaded on first use and then reused (one model per process)."""
    return Retriever.from_settings(KnowledgeSettings())


@lru_cache(maxsize=1)
def default_case_store():  # noqa: ANN201 - the cases package is imported lazily
    """The case database, migrated and opened on first use (one engine per process)."""
    from cases.store import CaseStore
    from trialbot.settings import CaseSettings

    return CaseStore.from_settings(CaseSettings())


@lru_cache(maxsize=1)
def default_tracker_eraser():  # noqa: ANN201 - the privacy package is imported lazily
    """Deletes conversations from Rasa's tracker store (the same database Rasa writes)."""
    from privacy.tracker_erasure import TrackerStoreEraser
    from trialbot.settings import PrivacySettings

    return TrackerStoreEraser.from_url(PrivacySettings().tracker_database_url())


@lru_cache(maxsize=4)
def trial_criteria(trial_id: str = TRIAL_ID) -> TrialCriteria:
    return load_trial_criteria(default_criteria_path(trial_id))
