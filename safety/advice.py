"""Requests for individual medical advice, which the assistant declines kindly (``advice_terms.yml``).

``detect_medical_advice(text)`` returns an :class:`AdviceFinding` for a request about one person's
dosing ("can I double my dose?"), a treatment decision ("should I stop my chemo?", "can I take
ibuprofen with it?"), their own results ("my ANC is 1.2, is that bad?") or their prognosis ("how long
do I have?"), and ``None`` for general questions about the trial ("what dose is used in the trial?"),
which are answered from the trial documents. ``decline_message(finding)`` gives the kind refusal.

Runs on Python 3.10 and 3.11 with the standard library and PyYAML only (it is imported inside Rasa).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from safety.urgent import normalize_text

TERMS_PATH = Path(__file__).with_name("advice_terms.yml")
CATEGORIES = ("dosing", "treatment_change", "personal_results", "prognosis")
_MACRO = re.compile(r"\{([A-Z_]+)\}")


@dataclass(frozen=True)
class AdviceFinding:
    """A request for individual medical advice: its category and the (normalised) words that matched."""

    category: str
    matched: str


class AdviceTermsError(ValueError):
    """The advice terms file is missing, malformed or holds a pattern that does not compile."""


@dataclass(frozen=True)
class _Rule:
    category: str
    patterns: tuple[re.Pattern[str], ...]  # all must match somewhere in the message


def _expand(pattern: str, macros: dict[str, str]) -> str:
    for _ in range(10):
        expanded = _MACRO.sub(lambda m: macros.get(m.group(1), m.group(0)), pattern)
        if expanded == pattern:
            break
        pattern = expanded
    if _MACRO.search(pattern):
        raise AdviceTermsError(f"unknown macro in {pattern!r}")
    return pattern


def _compile(pattern: Any, macros: dict[str, str], where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise AdviceTermsError(f"{where}: a pattern must be a non-empty string")
    try:
        return re.compile(_expand(pattern, macros))
    except re.error as exc:
        raise AdviceTermsError(f"{where}: pattern {pattern!r} does not compile: {exc}") from exc


def load_rules(path: Path = TERMS_PATH) -> tuple[_Rule, ...]:
    """Read and compile an advice terms file; raises :class:`AdviceTermsError`."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AdviceTermsError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise AdviceTermsError(f"{path}: expected a mapping with 'categories'")
    macros = {str(k): str(v) for k, v in (data.get("macros") or {}).items()}
    rules = []
    for category, entries in data["categories"].items():
        if category not in CATEGORIES:
            raise AdviceTermsError(f"{path}: unknown category {category!r} (expected one of {CATEGORIES})")
        for i, entry in enumerate(entries or []):
            where = f"{category}[{i}]"
            if isinstance(entry, dict) and isinstance(entry.get("all_of"), list):
                compiled = tuple(_compile(p, macros, f"{where}.all_of") for p in entry["all_of"])
            else:
                compiled = (_compile(entry, macros, where),)
            rules.append(_Rule(category, compiled))
    return tuple(rules)


@functools.lru_cache(maxsize=1)
def _rules() -> tuple[_Rule, ...]:
    return load_rules(TERMS_PATH)


def detect_medical_advice(text: str) -> AdviceFinding | None:
    """The first advice category (file order) whose patterns all match ``text``, or ``None``."""
    if not isinstance(text, str) or not text.strip():
        return None
    norm = normalize_text(text)
    for rule in _rules():
        matches = [p.search(norm) for p in rule.patterns]
        if all(matches):
            return AdviceFinding(rule.category, matches[0].group(0).strip())
    return None


_REASON = (
    "I'm not a doctor, and I don't know your situation (your medical history, your tests, how you are "
    "today), so a personal answer from me could be wrong or even unsafe."
)
_WHERE_TO_ASK = (
    "Your doctor or treating team can answer this properly. You can also type \"talk to a person\" to "
    "reach a patient navigator, who can help you get the question to the right person."
)
_OPENINGS = {
    "dosing": "I'm sorry, I can't tell you how much of a medicine to take or whether to change a dose.",
    "treatment_change": (
        "I'm sorry, I can't advise on starting, stopping, skipping or combining treatments or medicines: "
        "that is a decision for you and your doctor."
    ),
    "personal_results": "I'm sorry, I can't interpret your own test results or scans.",
    "prognosis": (
        "That is such an important question, and I'm sorry I can't answer it: what to expect for one person "
        "depends on many things that only their own doctors know."
    ),
}
_THRESHOLDS = (
    "If it helps, I can share the limits the trial publishes (for example the blood counts needed to join, "
    "such as the neutrophil count, platelets and haemoglobin) as general information; the trial team decides "
    "how they apply to you."
)
_GENERAL = "I'm glad to answer general questions about the trial from its documents."


def decline_message(finding: AdviceFinding | None) -> str:
    """A kind refusal with the reason, pointing to the doctor or treating team and to a navigator."""
    category = finding.category if finding is not None else ""
    opening = _OPENINGS.get(category, "I'm sorry, I can't give personal medical advice.")
    extra = _THRESHOLDS if category == "personal_results" else _GENERAL
    return " ".join([opening, _REASON, _WHERE_TO_ASK, extra])
