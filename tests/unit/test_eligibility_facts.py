"""The fixed pre-screening facts and the validation of one input object."""

from __future__ import annotations

import math

import pytest

from actions.eligibility.facts import FACT_NAMES, FACTS, FactError, validate_facts

pytestmark = pytest.mark.unit

EXPECTED_FACTS = {
    "age": "int",
    "nec_confirmed": "bool",
    "excluded_subtype": "choice",
    "progressed_after_platinum": "bool",
    "tissue_sample": "choice",
    "measurable_lesion": "bool",
    "ecog": "int",
    "prior_cldn18_therapy": "bool",
    "prior_topo1": "choice",
    "brain_metastases": "choice",
    "ild_history": "bool",
    "hiv": "bool",
    "active_hepatitis": "bool",
    "other_cancer_within_3_years": "bool",
    "days_since_last_anticancer_therapy": "int",
    "days_since_major_surgery": "int",
    "anc": "number",
    "platelets": "number",
    "hemoglobin": "number",
    "lvef": "number",
}


def test_fact_names_and_types_are_the_shared_contract() -> None:
    assert list(FACT_NAMES) == list(EXPECTED_FACTS)
    assert {name: spec.type for name, spec in FACTS.items()} == EXPECTED_FACTS


def test_choice_values_are_fixed() -> None:
    assert FACTS["excluded_subtype"].choices == (
        "none",
        "merkel_cell",
        "neuroendocrine_prostate",
        "medullary_thyroid",
    )
    assert FACTS["tissue_sample"].choices == ("within_2_years", "older_than_2_years", "none")
    assert FACTS["prior_topo1"].choices == ("none", "small_molecule", "adc")
    assert FACTS["brain_metastases"].choices == ("none", "treated_stable", "untreated")


def test_valid_facts_are_returned_as_a_plain_copy() -> None:
    given = {
        "age": 62,
        "nec_confirmed": True,
        "prior_topo1": "adc",
        "anc": 1.5,
        "platelets": 100,
        "lvef": 55.5,
    }
    clean = validate_facts(given)
    assert clean == given
    assert clean is not given


def test_every_fact_may_be_null_for_dont_know() -> None:
    facts = dict.fromkeys(FACT_NAMES)
    assert validate_facts(facts) == facts
    assert validate_facts({}) == {}


@pytest.mark.parametrize(
    ("facts", "fact", "fragment"),
    [
        ({"age": True}, "age", "got bool True"),
        ({"ecog": False}, "ecog", "got bool False"),
        ({"age": 62.5}, "age", "whole number"),
        ({"age": 62.0}, "age", "whole number"),
        ({"age": "62"}, "age", "got str '62'"),
        ({"days_since_major_surgery": True}, "days_since_major_surgery", "got bool"),
        ({"nec_confirmed": 1}, "nec_confirmed", "expected true or false, got int 1"),
        ({"nec_confirmed": "yes"}, "nec_confirmed", "expected true or false, got str 'yes'"),
        ({"hiv": 0}, "hiv", "got int 0"),
        ({"anc": True}, "anc", "got bool True"),
        ({"anc": "1.5"}, "anc", "got str"),
        ({"platelets": math.nan}, "platelets", "finite"),
        ({"lvef": math.inf}, "lvef", "finite"),
        ({"prior_topo1": "irinotecan"}, "prior_topo1", "unknown value 'irinotecan'"),
        ({"brain_metastases": "treated"}, "brain_metastases", "'none', 'treated_stable', 'untreated'"),
        ({"tissue_sample": True}, "tissue_sample", "got bool True"),
        ({"excluded_subtype": "Merkel"}, "excluded_subtype", "unknown value 'Merkel'"),
    ],
)
def test_wrong_type_or_value_names_the_fact_and_why(
    facts: dict[str, object], fact: str, fragment: str
) -> None:
    with pytest.raises(FactError) as info:
        validate_facts(facts)
    assert [name for name, _ in info.value.problems] == [fact]
    why = info.value.problems[0][1]
    assert fragment in why
    assert fact in str(info.value) and fragment in str(info.value)


@pytest.mark.parametrize(
    ("facts", "fact", "fragment"),
    [
        ({"ecog": 5}, "ecog", "5 is out of range; expected a whole number from 0 to 4"),
        ({"ecog": -1}, "ecog", "out of range"),
        ({"age": -1}, "age", "out of range"),
        ({"age": 121}, "age", "out of range"),
        ({"days_since_last_anticancer_therapy": -3}, "days_since_last_anticancer_therapy", "at least 0"),
        ({"hemoglobin": 9.5}, "hemoglobin", "9.5 g/dL is 95 g/L"),
        ({"platelets": 150000}, "platelets", "150,000 per µL is 150"),
        ({"anc": 1500}, "anc", "1500 per µL is 1.5"),
        ({"lvef": 101}, "lvef", "from 0 to 100"),
    ],
)
def test_out_of_range_values_are_rejected_with_a_hint(
    facts: dict[str, object], fact: str, fragment: str
) -> None:
    with pytest.raises(FactError) as info:
        validate_facts(facts)
    assert info.value.problems[0][0] == fact
    assert fragment in info.value.problems[0][1]


def test_unknown_keys_are_reported_with_a_suggestion() -> None:
    with pytest.raises(FactError) as info:
        validate_facts({"age": 60, "ecgo": 1, "favourite_colour": "blue"})
    problems = dict(info.value.problems)
    assert set(problems) == {"ecgo", "favourite_colour"}
    assert problems["ecgo"] == "unknown fact name; did you mean 'ecog'?"
    assert problems["favourite_colour"] == "unknown fact name"


def test_all_problems_are_listed_together() -> None:
    with pytest.raises(FactError) as info:
        validate_facts({"age": "old", "hiv": "no", "prior_topo1": "enhertu", "bogus": 1})
    assert [name for name, _ in info.value.problems] == ["age", "hiv", "prior_topo1", "bogus"]
    assert str(info.value).startswith("invalid facts: age: ")


def test_non_object_input_is_a_fact_error() -> None:
    for bad in ([1, 2], "age=60", 42, None):
        with pytest.raises(FactError, match="expected an object of facts"):
            validate_facts(bad)


def test_fact_error_is_a_value_error() -> None:
    assert issubclass(FactError, ValueError)
