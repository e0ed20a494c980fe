"""Pre-screening eligibility engine: fixed facts, per-trial criteria files and the screening rules."""

from .criteria import CriteriaError, Criterion, TrialCriteria, load_trial_criteria
from .engine import CriterionResult, ScreeningResult, screen
from .facts import FACT_NAMES, FACTS, FactError, FactSpec, validate_facts

__all__ = [
    "FACTS",
    "FACT_NAMES",
    "CriteriaError",
    "Criterion",
    "CriterionResult",
    "FactError",
    "FactSpec",
    "ScreeningResult",
    "TrialCriteria",
    "load_trial_criteria",
    "screen",
    "validate_facts",
]
