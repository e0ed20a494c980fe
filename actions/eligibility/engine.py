"""Pre-screening: judge one set of facts against a trial's criteria.

Each criterion gets one decision: ``met`` (the requirement is satisfied; for an exclusion, the excluding
condition is absent), ``not_met`` (clearly failed), ``missing`` (the answer is unknown), ``review`` (the
trial team's judgement is needed) or ``trial_team`` (not asked; checked by the trial team). The last three
are all reported to patients as status ``unknown``.

Outcome: ``not_eligible`` if any criterion is clearly failed; otherwise ``needs_review`` if any criterion
needs review or a required (patient-answerable) criterion is unknown; otherwise ``possibly_eligible``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .criteria import AllRule, Criterion, Outcome, TrialCriteria
from .facts import FACTS, FactValue, validate_facts

Decision = Literal["met", "not_met", "missing", "review", "trial_team"]
Status = Literal["met", "not_met", "unknown"]


@dataclass(frozen=True)
class CriterionResult:
    """The decision on one criterion and the sentence that explains it to a patient."""

    id: str
    kind: str
    assessed_by: str
    required: bool
    decision: Decision
    reason: str

    @property
    def status(self) -> Status:
        """``met``, ``not_met`` or ``unknown`` (missing answer, team review or checked by the team)."""
        return self.decision if self.decision in ("met", "not_met") else "unknown"  # type: ignore[return-value]

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "status": self.status, "reason": self.reason}


@dataclass(frozen=True)
class ScreeningResult:
    """The outcome of one pre-screening and every criterion's result, in file order."""

    outcome: Outcome
    criteria: tuple[CriterionResult, ...]

    @property
    def review(self) -> tuple[CriterionResult, ...]:
        """Criteria whose answer needs the trial team's judgement (status unknown, team-review reason)."""
        return tuple(r for r in self.criteria if r.decision == "review")

    @property
    def review_ids(self) -> list[str]:
        return [r.id for r in self.review]

    @property
    def missing_required(self) -> tuple[CriterionResult, ...]:
        """Required patient criteria whose answer is unknown."""
        return tuple(r for r in self.criteria if r.decision == "missing" and r.required)

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.criteria if r.decision == "not_met")

    @property
    def first_failed(self) -> CriterionResult | None:
        """The first clearly failed criterion in file order, if any."""
        return next(iter(self.failed), None)

    def result(self, criterion_id: str) -> CriterionResult:
        """The result for one criterion id (``KeyError`` if none)."""
        for r in self.criteria:
            if r.id == criterion_id:
                return r
        raise KeyError(criterion_id)

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "criteria": [r.to_dict() for r in self.criteria]}


def _show(value: FactValue, crit: Criterion) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return crit.choice_label(value)
    return str(value)


def _measure(fact: str, value: FactValue) -> str:
    spec = FACTS[fact]
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{spec.label} {shown}{' ' + spec.unit if spec.unit else ''}"


def _assess_all(crit: Criterion, rule: AllRule, facts: Mapping[str, FactValue]) -> tuple[Decision, str]:
    decided: dict[str, str] = {}
    missing: list[str] = []
    for fact, check in rule.checks.items():
        value = facts.get(fact)
        if value is None:
            missing.append(FACTS[fact].label)
        else:
            decided[fact] = check.apply(value)

    def described(status: str | None) -> list[str]:
        return [
            f"{_measure(f, facts[f])} ({rule.checks[f].describe()} needed)"
            for f, s in decided.items()
            if status is None or s == status
        ]

    if "not_met" in decided.values():
        return "not_met", "; ".join(described("not_met"))
    if "review" in decided.values():
        return "review", "; ".join(described("review"))
    if missing:
        return "missing", "; ".join([*described(None), "not known: " + ", ".join(missing)])
    return "met", "; ".join(described(None))


def assess(crit: Criterion, facts: Mapping[str, FactValue]) -> CriterionResult:
    """Judge one criterion against already validated facts."""
    if crit.assessed_by == "trial_team" or crit.rule is None:
        return CriterionResult(
            crit.id, crit.kind, crit.assessed_by, False, "trial_team", crit.reasons.unknown
        )
    reasons = crit.reasons
    if isinstance(crit.rule, AllRule):
        decision, details = _assess_all(crit, crit.rule, facts)
        template = reasons.unknown if decision == "missing" else getattr(reasons, decision)
        reason = template.format(details=details)
    else:
        value = facts.get(crit.facts[0])
        decision = "missing" if value is None else crit.rule.apply(value)
        template = reasons.unknown if decision == "missing" else getattr(reasons, decision)
        if isinstance(value, str) and value in reasons.by_value:
            template = reasons.by_value[value]
        reason = template.format(value=_show(value, crit))
    return CriterionResult(crit.id, crit.kind, crit.assessed_by, crit.is_required, decision, reason)


def decide_outcome(results: tuple[CriterionResult, ...]) -> Outcome:
    """Apply the outcome rules to criterion results."""
    if any(r.decision == "not_met" for r in results):
        return "not_eligible"
    if any(r.decision == "review" or (r.decision == "missing" and r.required) for r in results):
        return "needs_review"
    return "possibly_eligible"


def screen(facts: Mapping[str, object], criteria: TrialCriteria) -> ScreeningResult:
    """Pre-screen one patient's facts (validated first; raises ``FactError``) against a trial's criteria."""
    clean = validate_facts(facts)
    results = tuple(assess(crit, clean) for crit in criteria.criteria)
    return ScreeningResult(decide_outcome(results), results)
