"""Load and validate a trial's pre-screening criteria file (``knowledge/trials/<trial>/criteria.yml``).

A criteria file is data: adding a trial means adding a file. Every entry is checked against the fixed
facts (``facts.py``) when the file is loaded, so a mistake in the file fails loudly with the file name and
entry instead of giving a patient a wrong answer later.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from .facts import FACTS, AnswerType, FactValue, check_value

Outcome = Literal["possibly_eligible", "needs_review", "not_eligible"]
OUTCOMES: tuple[Outcome, ...] = ("possibly_eligible", "needs_review", "not_eligible")
RuleResult = Literal["met", "not_met", "review"]
TEAM_PREFIX = "Checked by the trial team: "


class CriteriaError(ValueError):
    """A criteria file cannot be read or is invalid; the message names the file and the entry."""


def wording_problem(text: str) -> str | None:
    """Why ``text`` may not be shown to a patient: "eligible" is only allowed as "possibly eligible"."""
    rest = re.sub(r"possibly eligible", "", text, flags=re.IGNORECASE)
    if "eligible" in rest.lower():
        return f'uses "eligible" outside the phrase "possibly eligible": {text!r}'
    return None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Scalar = StrictBool | StrictInt | StrictFloat | StrictStr


class BetweenRule(_Model):
    """Met when ``min <= value <= max`` (both ends included)."""

    op: Literal["between"]
    min: float
    max: float
    otherwise: Literal["not_met", "review"] = "not_met"

    @model_validator(mode="after")
    def _ordered(self) -> BetweenRule:
        if self.min > self.max:
            raise ValueError(f"between: min {self.min:g} is greater than max {self.max:g}")
        return self

    def apply(self, value: FactValue) -> RuleResult:
        return "met" if self.min <= value <= self.max else self.otherwise  # type: ignore[operator]

    def results(self) -> set[str]:
        return {"met", self.otherwise}

    def describe(self) -> str:
        return f"between {self.min:g} and {self.max:g}"


class CompareRule(_Model):
    """Met when ``value <op> threshold`` (``gte`` and ``lte`` include the threshold)."""

    op: Literal["gte", "lte", "gt", "lt"]
    value: float
    otherwise: Literal["not_met", "review"] = "not_met"

    def apply(self, value: FactValue) -> RuleResult:
        v: float = value  # type: ignore[assignment]
        ok = {"gte": v >= self.value, "lte": v <= self.value, "gt": v > self.value, "lt": v < self.value}[
            self.op
        ]
        return "met" if ok else self.otherwise

    def results(self) -> set[str]:
        return {"met", self.otherwise}

    def describe(self) -> str:
        words = {"gte": "at least", "lte": "at most", "gt": "more than", "lt": "less than"}[self.op]
        return f"{words} {self.value:g}"


class EqualsRule(_Model):
    """Met when the answer equals ``value``."""

    op: Literal["equals"]
    value: Scalar
    otherwise: Literal["not_met", "review"] = "not_met"

    def apply(self, value: FactValue) -> RuleResult:
        return "met" if value == self.value else self.otherwise

    def results(self) -> set[str]:
        return {"met", self.otherwise}

    def describe(self) -> str:
        return f"equal to {self.value!r}"


class InRule(_Model):
    """Met when the answer is one of ``values``."""

    op: Literal["in"]
    values: list[Scalar] = Field(min_length=1)
    otherwise: Literal["not_met", "review"] = "not_met"

    def apply(self, value: FactValue) -> RuleResult:
        return "met" if value in self.values else self.otherwise

    def results(self) -> set[str]:
        return {"met", self.otherwise}

    def describe(self) -> str:
        return "one of " + ", ".join(str(v) for v in self.values)


class MapRule(_Model):
    """Each possible answer (a choice value) maps to met, not_met or review."""

    op: Literal["map"]
    map: dict[str, RuleResult] = Field(min_length=1)

    def apply(self, value: FactValue) -> RuleResult:
        return self.map[str(value)]

    def results(self) -> set[str]:
        return set(self.map.values())

    def describe(self) -> str:
        return "one of " + ", ".join(k for k, v in self.map.items() if v == "met")


SingleRule = Annotated[BetweenRule | CompareRule | EqualsRule | InRule | MapRule, Field(discriminator="op")]


class AllRule(_Model):
    """Several facts, each with its own rule: not_met if any fails, met if all are known and met."""

    op: Literal["all"]
    checks: dict[str, SingleRule] = Field(min_length=1)

    def results(self) -> set[str]:
        out: set[str] = set()
        for rule in self.checks.values():
            out |= rule.results()
        return out


Rule = Annotated[
    BetweenRule | CompareRule | EqualsRule | InRule | MapRule | AllRule, Field(discriminator="op")
]


class Choice(_Model):
    """One allowed answer of a choice question."""

    value: str
    label: str = Field(min_length=1)


class Reasons(_Model):
    """Patient-readable sentence templates, filled with ``{value}`` (one fact) or ``{details}`` (several)."""

    met: str | None = None
    not_met: str | None = None
    unknown: str = Field(min_length=1)
    review: str | None = None
    by_value: dict[str, str] = Field(default_factory=dict)

    def texts(self) -> list[str]:
        return [t for t in (self.met, self.not_met, self.unknown, self.review, *self.by_value.values()) if t]


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"reason template {template!r} is malformed: {exc}") from exc


class Criterion(_Model):
    """One registry criterion, how to ask about it and how to judge the answer."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["inclusion", "exclusion"]
    assessed_by: Literal["patient", "trial_team"]
    registry_text: str = Field(min_length=1)
    plain_question: str | dict[str, str] | None = None
    fact: str | list[str] | None = None
    answer_type: AnswerType | None = None
    choices: list[Choice] | None = None
    required: bool | None = None
    rule: Rule | None = None
    reasons: Reasons
    note: str | None = None

    @property
    def facts(self) -> tuple[str, ...]:
        """The fact names this criterion uses (empty for trial-team criteria)."""
        if self.fact is None:
            return ()
        return (self.fact,) if isinstance(self.fact, str) else tuple(self.fact)

    @property
    def is_required(self) -> bool:
        """Whether an unknown answer sends the screening to the trial team's review."""
        return self.assessed_by == "patient" and self.required is not False

    def question_for(self, fact: str) -> str | None:
        """The plain-language question for one of this criterion's facts."""
        if isinstance(self.plain_question, dict):
            return self.plain_question.get(fact)
        return self.plain_question if fact in self.facts else None

    def choice_label(self, value: str) -> str:
        """The patient-readable label of a choice value."""
        for choice in self.choices or ():
            if choice.value == value:
                return choice.label
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Criterion:
        if self.assessed_by == "trial_team":
            self._check_team()
        else:
            self._check_patient()
        for text in self.reasons.texts():
            problem = wording_problem(text)
            if problem:
                raise ValueError(f"reason {problem}")
        return self

    def _check_team(self) -> None:
        set_fields = [
            name
            for name in ("plain_question", "fact", "answer_type", "choices", "required", "rule")
            if getattr(self, name) is not None
        ]
        if set_fields:
            raise ValueError(
                f"trial_team criteria are not asked, so these must be null: {', '.join(set_fields)}"
            )
        r = self.reasons
        if r.met or r.not_met or r.review or r.by_value:
            raise ValueError("trial_team criteria have only an 'unknown' reason")
        if not r.unknown.startswith(TEAM_PREFIX):
            raise ValueError(f"a trial_team reason must start with {TEAM_PREFIX!r}")
        if _placeholders(r.unknown):
            raise ValueError("a trial_team reason cannot use placeholders")

    def _check_patient(self) -> None:
        facts = self.facts
        if not facts or self.rule is None or self.answer_type is None:
            raise ValueError("patient criteria need a fact, an answer_type and a rule")
        for name in facts:
            spec = FACTS.get(name)
            if spec is None:
                raise ValueError(f"unknown fact {name!r}")
            if spec.type != self.answer_type:
                raise ValueError(
                    f"answer_type {self.answer_type!r} does not match fact {name!r} ({spec.type})"
                )
        if len(set(facts)) != len(facts):
            raise ValueError("a fact is listed twice")
        self._check_choices()
        self._check_rule()
        self._check_questions()
        self._check_reasons()

    def _check_choices(self) -> None:
        if self.answer_type != "choice":
            if self.choices is not None:
                raise ValueError("choices are only for answer_type 'choice'")
            return
        allowed = FACTS[self.facts[0]].choices
        given = [c.value for c in self.choices or ()]
        if sorted(given) != sorted(allowed) or len(set(given)) != len(given):
            raise ValueError(f"choices must list each value of fact {self.facts[0]!r} once: {list(allowed)}")

    def _check_rule(self) -> None:
        if isinstance(self.rule, AllRule):
            if len(self.facts) < 2 or set(self.rule.checks) != set(self.facts):
                raise ValueError(
                    "an 'all' rule needs one check for each of the criterion's facts (two or more)"
                )
            pairs = list(self.rule.checks.items())
        elif len(self.facts) != 1:
            raise ValueError("a criterion with several facts needs an 'all' rule")
        else:
            pairs = [(self.facts[0], self.rule)]
        for name, rule in pairs:
            _check_rule_for_fact(name, rule)  # type: ignore[arg-type]

    def _check_questions(self) -> None:
        q = self.plain_question
        if q is None:
            if self.is_required:
                raise ValueError("a required patient criterion needs a plain_question")
            return
        if len(self.facts) == 1 and not isinstance(q, str):
            raise ValueError("plain_question must be a string for a one-fact criterion")
        if len(self.facts) > 1 and (not isinstance(q, dict) or set(q) != set(self.facts)):
            raise ValueError("plain_question must map each of the criterion's facts to a question")

    def _check_reasons(self) -> None:
        r = self.reasons
        assert self.rule is not None
        for status in self.rule.results():
            if getattr(r, status) is None:
                raise ValueError(f"the rule can give {status!r} but reasons.{status} is missing")
        if len(self.facts) == 1 and _placeholders(r.unknown):
            raise ValueError("reasons.unknown cannot use {value}: the answer is not known")
        allowed = {"details"} if len(self.facts) > 1 else {"value"}
        for text in r.texts():
            extra = _placeholders(text) - allowed
            if extra:
                raise ValueError(
                    f"reason uses unknown placeholders {sorted(extra)}; allowed: {sorted(allowed)}"
                )
        if r.by_value and (
            self.answer_type != "choice" or not set(r.by_value) <= set(FACTS[self.facts[0]].choices)
        ):
            raise ValueError("reasons.by_value keys must be choice values of the criterion's fact")


def _check_rule_for_fact(name: str, rule: BetweenRule | CompareRule | EqualsRule | InRule | MapRule) -> None:
    spec = FACTS[name]
    if isinstance(rule, BetweenRule | CompareRule) and spec.type not in ("int", "number"):
        raise ValueError(f"rule {rule.op!r} needs a numeric fact, {name!r} is {spec.type}")
    if isinstance(rule, MapRule) and (spec.type != "choice" or set(rule.map) != set(spec.choices)):
        raise ValueError(f"a 'map' rule must map every value of choice fact {name!r}: {list(spec.choices)}")
    values = [rule.value] if isinstance(rule, EqualsRule) else rule.values if isinstance(rule, InRule) else []
    for value in values:
        why = check_value(spec, value)
        if why:
            raise ValueError(f"rule value {value!r} is not a valid answer for {name!r}: {why}")


class TrialCriteria(_Model):
    """All criteria of one trial, in registry order, with the order in which the dialogue asks."""

    trial_id: str = Field(pattern=r"^NCT\d{8}$")
    title: str
    source: str
    version: int
    notes: list[str] = Field(default_factory=list)
    question_order: list[str]
    outcome_messages: dict[Outcome, str]
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TrialCriteria:
        ids = [c.id for c in self.criteria]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate criterion ids: {dupes}")
        used = [f for c in self.criteria for f in c.facts]
        twice = sorted({f for f in used if used.count(f) > 1})
        if twice:
            raise ValueError(f"facts used by more than one criterion: {twice}")
        if len(set(self.question_order)) != len(self.question_order):
            raise ValueError("question_order lists a fact twice")
        for name in self.question_order:
            crit = self.criterion_for_fact(name)
            if crit is None or crit.question_for(name) is None:
                raise ValueError(f"question_order: fact {name!r} has no criterion with a plain_question")
        required = [f for c in self.criteria if c.is_required for f in c.facts]
        missing = [f for f in required if f not in self.question_order]
        if missing:
            raise ValueError(f"question_order must include every required fact; missing: {missing}")
        if set(self.outcome_messages) != set(OUTCOMES):
            raise ValueError(f"outcome_messages needs exactly {list(OUTCOMES)}")
        for text in self.outcome_messages.values():
            problem = wording_problem(text)
            if problem:
                raise ValueError(f"outcome message {problem}")
        return self

    def by_id(self, criterion_id: str) -> Criterion:
        """The criterion with this id (``KeyError`` if none)."""
        for crit in self.criteria:
            if crit.id == criterion_id:
                return crit
        raise KeyError(criterion_id)

    def criterion_for_fact(self, fact: str) -> Criterion | None:
        """The criterion that uses ``fact``, if any."""
        return next((c for c in self.criteria if fact in c.facts), None)

    def questions(self) -> list[tuple[str, str]]:
        """``(fact, plain_question)`` pairs in the order the dialogue asks them."""
        out = []
        for name in self.question_order:
            crit = self.criterion_for_fact(name)
            assert crit is not None
            out.append((name, crit.question_for(name) or ""))
        return out


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _describe_errors(path: Path, data: dict[str, Any], exc: ValidationError) -> str:
    lines = []
    entries = data.get("criteria")
    for err in exc.errors():
        loc = list(err["loc"])
        where = "top level"
        if len(loc) >= 2 and loc[0] == "criteria" and isinstance(loc[1], int):
            index = loc[1]
            entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
            cid = entry.get("id") if isinstance(entry, dict) else None
            where = f"criteria[{index}] (id {cid!r})"
            loc = loc[2:]
        field = ".".join(str(part) for part in loc)
        message = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}{': ' + field if field else ''}: {message}")
    return f"{path}: invalid criteria file:\n  " + "\n  ".join(lines)


def load_trial_criteria(path: str | Path) -> TrialCriteria:
    """Read and validate one trial's criteria file; raise ``CriteriaError`` naming the file and entry."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CriteriaError(f"{path}: cannot read criteria file: {exc}") from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CriteriaError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CriteriaError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return TrialCriteria.model_validate(data)
    except ValidationError as exc:
        raise CriteriaError(_describe_errors(path, data, exc)) from exc
