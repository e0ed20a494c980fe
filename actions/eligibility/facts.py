"""The fixed pre-screening fact names and their validation.

Navigators, exports and dialogue slots all use these names. A fact may be missing or ``None``: both mean
"don't know". Validation is strict so that a wrong answer type never turns silently into a decision:
booleans must be real booleans, integers may not be booleans or floats, choices must be known values.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

AnswerType = Literal["bool", "int", "number", "choice"]
FactValue = bool | int | float | str | None


class FactError(ValueError):
    """One input object has facts of the wrong type, unknown values or unknown names."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        listed = "; ".join(f"{name}: {why}" for name, why in self.problems)
        super().__init__(f"invalid facts: {listed}")


@dataclass(frozen=True)
class FactSpec:
    """One fact: its type, allowed values and how to show it to a patient."""

    name: str
    type: AnswerType
    label: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    hint: str = ""

    def describe(self) -> str:
        """The expected type and range, as used in error messages."""
        if self.type == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        kind = {"bool": "true or false", "int": "a whole number", "number": "a number"}[self.type]
        if self.minimum is not None and self.maximum is not None:
            kind += f" from {_num(self.minimum)} to {_num(self.maximum)}"
        elif self.minimum is not None:
            kind += f" of at least {_num(self.minimum)}"
        return kind + (f" {self.unit}" if self.unit and self.type == "number" else "")


def _num(x: float) -> str:
    return f"{x:g}"


_SPECS: tuple[FactSpec, ...] = (
    FactSpec("age", "int", "age", "years", 0, 120),
    FactSpec("nec_confirmed", "bool", "biopsy-confirmed advanced high-grade neuroendocrine carcinoma"),
    FactSpec(
        "excluded_subtype",
        "choice",
        "excluded cancer type",
        choices=("none", "merkel_cell", "neuroendocrine_prostate", "medullary_thyroid"),
    ),
    FactSpec("progressed_after_platinum", "bool", "cancer grew after platinum chemotherapy"),
    FactSpec(
        "tissue_sample",
        "choice",
        "tumour tissue sample",
        choices=("within_2_years", "older_than_2_years", "none"),
    ),
    FactSpec("measurable_lesion", "bool", "measurable tumour not treated with radiotherapy"),
    FactSpec("ecog", "int", "everyday activity level (ECOG score)", minimum=0, maximum=4),
    FactSpec("prior_cldn18_therapy", "bool", "earlier Claudin 18.2 treatment"),
    FactSpec(
        "prior_topo1",
        "choice",
        "earlier topoisomerase I inhibitor",
        choices=("none", "small_molecule", "adc"),
    ),
    FactSpec(
        "brain_metastases", "choice", "spread to the brain", choices=("none", "treated_stable", "untreated")
    ),
    FactSpec("ild_history", "bool", "history of lung scarring or inflammation"),
    FactSpec("hiv", "bool", "HIV infection"),
    FactSpec("active_hepatitis", "bool", "active hepatitis B or C"),
    FactSpec("other_cancer_within_3_years", "bool", "another cancer in the last 3 years"),
    FactSpec("days_since_last_anticancer_therapy", "int", "days since the last cancer treatment", "days", 0),
    FactSpec("days_since_major_surgery", "int", "days since major surgery", "days", 0),
    FactSpec(
        "anc", "number", "neutrophils (ANC)", "×10⁹/L", 0, 100, hint="in ×10⁹/L, e.g. 1500 per µL is 1.5"
    ),
    FactSpec(
        "platelets", "number", "platelets", "×10⁹/L", 0, 2000, hint="in ×10⁹/L, e.g. 150,000 per µL is 150"
    ),
    FactSpec("hemoglobin", "number", "haemoglobin", "g/L", 20, 250, hint="in g/L, e.g. 9.5 g/dL is 95 g/L"),
    FactSpec("lvef", "number", "heart pumping strength (LVEF)", "%", 0, 100),
)

FACTS: Mapping[str, FactSpec] = {spec.name: spec for spec in _SPECS}
FACT_NAMES: tuple[str, ...] = tuple(FACTS)


def check_value(spec: FactSpec, value: object) -> str | None:
    """Why ``value`` is not a valid answer for ``spec``, or ``None`` if it is (``None`` itself always is)."""
    if value is None:
        return None
    expected = spec.describe()
    got = f"got {type(value).__name__} {value!r}"
    if spec.type == "bool":
        return None if isinstance(value, bool) else f"expected {expected}, {got}"
    if spec.type == "choice":
        if isinstance(value, str) and value in spec.choices:
            return None
        return (
            f"unknown value {value!r}; expected {expected}"
            if isinstance(value, str)
            else f"expected {expected}, {got}"
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected {expected}, {got}"
    if spec.type == "int" and not isinstance(value, int):
        return f"expected {expected}, {got}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"expected a finite number, {got}"
    too_low = spec.minimum is not None and value < spec.minimum
    too_high = spec.maximum is not None and value > spec.maximum
    if too_low or too_high:
        hint = f" ({spec.hint})" if spec.hint else ""
        return f"{value!r} is out of range; expected {expected}{hint}"
    return None


def validate_facts(facts: object) -> dict[str, FactValue]:
    """Check one input object of facts; return a plain copy or raise ``FactError`` listing all problems."""
    if not isinstance(facts, Mapping):
        raise FactError([("(input)", f"expected an object of facts, got {type(facts).__name__}")])
    problems: list[tuple[str, str]] = []
    clean: dict[str, FactValue] = {}
    for name, value in facts.items():
        spec = FACTS.get(name) if isinstance(name, str) else None
        if spec is None:
            close = difflib.get_close_matches(str(name), FACT_NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append((str(name), f"unknown fact name{hint}"))
            continue
        why = check_value(spec, value)
        if why is not None:
            problems.append((name, why))
        else:
            clean[name] = value  # type: ignore[assignment]
    if problems:
        raise FactError(problems)
    return clean
