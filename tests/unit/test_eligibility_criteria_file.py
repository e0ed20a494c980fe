"""The NCT07520357 criteria file and the validation of criteria files in general."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.eligibility.cli import default_criteria_path
from actions.eligibility.criteria import CriteriaError, TrialCriteria, load_trial_criteria
from actions.eligibility.engine import screen
from actions.eligibility.facts import FACT_NAMES, FACTS

pytestmark = pytest.mark.unit

CRITERIA_PATH = default_criteria_path()

# (id, kind, assessed_by) in registry order: the ids are stable, other modules and exports use them.
EXPECTED = [
    ("informed_consent", "inclusion", "trial_team"),
    ("age_18_to_75", "inclusion", "patient"),
    ("confirmed_advanced_nec", "inclusion", "patient"),
    ("progression_after_platinum", "inclusion", "patient"),
    ("tissue_sample_available", "inclusion", "patient"),
    ("measurable_lesion_recist", "inclusion", "patient"),
    ("ecog_0_to_1", "inclusion", "patient"),
    ("life_expectancy_12_weeks", "inclusion", "trial_team"),
    ("blood_counts", "inclusion", "patient"),
    ("liver_function", "inclusion", "trial_team"),
    ("kidney_function", "inclusion", "trial_team"),
    ("coagulation", "inclusion", "trial_team"),
    ("lvef_50_percent", "inclusion", "patient"),
    ("contraception", "inclusion", "trial_team"),
    ("prior_cldn18_targeted_therapy", "exclusion", "patient"),
    ("prior_topoisomerase1_inhibitor", "exclusion", "patient"),
    ("excluded_histology", "exclusion", "patient"),
    ("brain_or_meningeal_metastases", "exclusion", "patient"),
    ("spinal_cord_compression", "exclusion", "trial_team"),
    ("uncontrolled_cancer_pain", "exclusion", "trial_team"),
    ("symptomatic_effusion", "exclusion", "trial_team"),
    ("recent_anticancer_therapy", "exclusion", "patient"),
    ("recent_major_surgery", "exclusion", "patient"),
    ("other_malignancy_3_years", "exclusion", "patient"),
    ("interstitial_lung_disease", "exclusion", "patient"),
    ("fever_or_severe_infection", "exclusion", "trial_team"),
    ("gi_perforation_or_bleeding", "exclusion", "trial_team"),
    ("thrombotic_events", "exclusion", "trial_team"),
    ("uncontrolled_hypertension", "exclusion", "trial_team"),
    ("refractory_nausea_or_gi_disease", "exclusion", "trial_team"),
    ("autoimmune_transplant_or_hiv", "exclusion", "patient"),
    ("active_hepatitis_b_or_c", "exclusion", "patient"),
    ("live_vaccine", "exclusion", "trial_team"),
    ("unresolved_side_effects", "exclusion", "trial_team"),
    ("severe_antibody_allergy", "exclusion", "trial_team"),
    ("investigator_judgement", "exclusion", "trial_team"),
]

FACT_OF = {
    "age_18_to_75": "age",
    "confirmed_advanced_nec": "nec_confirmed",
    "progression_after_platinum": "progressed_after_platinum",
    "tissue_sample_available": "tissue_sample",
    "measurable_lesion_recist": "measurable_lesion",
    "ecog_0_to_1": "ecog",
    "blood_counts": ["anc", "platelets", "hemoglobin"],
    "lvef_50_percent": "lvef",
    "prior_cldn18_targeted_therapy": "prior_cldn18_therapy",
    "prior_topoisomerase1_inhibitor": "prior_topo1",
    "excluded_histology": "excluded_subtype",
    "brain_or_meningeal_metastases": "brain_metastases",
    "recent_anticancer_therapy": "days_since_last_anticancer_therapy",
    "recent_major_surgery": "days_since_major_surgery",
    "other_malignancy_3_years": "other_cancer_within_3_years",
    "interstitial_lung_disease": "ild_history",
    "autoimmune_transplant_or_hiv": "hiv",
    "active_hepatitis_b_or_c": "active_hepatitis",
}

OPTIONAL = {"blood_counts", "lvef_50_percent", "recent_anticancer_therapy", "recent_major_surgery"}


@pytest.fixture(scope="module")
def trial() -> TrialCriteria:
    return load_trial_criteria(CRITERIA_PATH)


@pytest.fixture()
def raw() -> dict[str, Any]:
    return yaml.safe_load(CRITERIA_PATH.read_text(encoding="utf-8"))


def test_default_path_is_inside_the_repository() -> None:
    assert Path(__file__).resolve().parents[2] / "knowledge/trials/NCT07520357/criteria.yml" == CRITERIA_PATH
    assert CRITERIA_PATH.is_file()


def test_every_registry_criterion_is_listed_once_in_order(trial: TrialCriteria) -> None:
    assert trial.trial_id == "NCT07520357"
    assert [(c.id, c.kind, c.assessed_by) for c in trial.criteria] == EXPECTED
    assert sum(c.kind == "inclusion" for c in trial.criteria) == 14
    assert sum(c.kind == "exclusion" for c in trial.criteria) == 22


def test_each_patient_criterion_uses_its_fact(trial: TrialCriteria) -> None:
    for crit in trial.criteria:
        assert crit.fact == FACT_OF.get(crit.id), crit.id
        if crit.fact is not None:
            assert crit.answer_type == FACTS[crit.facts[0]].type


def test_every_fact_is_used_by_exactly_one_criterion(trial: TrialCriteria) -> None:
    used = [f for c in trial.criteria for f in c.facts]
    assert sorted(used) == sorted(FACT_NAMES)


def test_question_order_is_the_dialogue_order(trial: TrialCriteria) -> None:
    assert trial.question_order == list(FACT_NAMES[:14])
    questions = trial.questions()
    assert [f for f, _ in questions] == list(FACT_NAMES[:14])
    assert all(len(q) > 20 for _, q in questions)


def test_required_and_optional_criteria(trial: TrialCriteria) -> None:
    patient = [c for c in trial.criteria if c.assessed_by == "patient"]
    assert {c.id for c in patient if not c.is_required} == OPTIONAL
    assert {c.facts[0] for c in patient if c.is_required} == set(FACT_NAMES[:14])
    assert not any(c.is_required for c in trial.criteria if c.assessed_by == "trial_team")


def test_trial_team_criteria_are_not_asked(trial: TrialCriteria) -> None:
    for crit in trial.criteria:
        if crit.assessed_by == "trial_team":
            assert crit.plain_question is None and crit.fact is None and crit.rule is None
            assert crit.reasons.unknown.startswith("Checked by the trial team: ")


def test_plain_questions_explain_terms(trial: TrialCriteria) -> None:
    q = dict(trial.questions())
    assert "cisplatin" in q["progressed_after_platinum"] and "etoposide" in q["progressed_after_platinum"]
    assert "ECOG" in q["ecog"] and "light work" in q["ecog"] and "bed or a chair" in q["ecog"]
    assert (
        "irinotecan" in q["prior_topo1"] and "Enhertu" in q["prior_topo1"] and "Trodelvy" in q["prior_topo1"]
    )
    assert "zolbetuximab" in q["prior_cldn18_therapy"]
    assert "biopsy" in q["nec_confirmed"] and "Ki-67" in q["nec_confirmed"]
    assert "DCIS" in q["other_cancer_within_3_years"]
    blood = trial.by_id("blood_counts").plain_question
    assert isinstance(blood, dict) and set(blood) == {"anc", "platelets", "hemoglobin"}
    assert "95 g/L" in blood["hemoglobin"]


def test_choice_criteria_label_every_value(trial: TrialCriteria) -> None:
    for crit in trial.criteria:
        if crit.answer_type == "choice":
            assert [c.value for c in crit.choices or []] == list(FACTS[crit.facts[0]].choices)
            assert all(c.label for c in crit.choices or [])


def test_registry_text_is_repaired(trial: TrialCriteria) -> None:
    texts = " ".join(c.registry_text for c in trial.criteria)
    assert not re.search("[\u0e00-\u0e7f]", texts), "Thai mojibake left in registry text"
    assert "Age 18–75 years" in texts and "ANC ≥ 1.5×10⁹/L" in texts and "> 38.5°C" in texts
    assert "ALT and AST ≤ 3× ULN" in texts


def test_notes_document_the_judgement_calls(trial: TrialCriteria) -> None:
    notes = " ".join(trial.notes)
    for fragment in ("5 half-lives", "irinotecan", "4 weeks", "freshly obtained", "required: false"):
        assert fragment in notes


def test_no_template_uses_eligible_alone(trial: TrialCriteria) -> None:
    texts = [t for c in trial.criteria for t in c.reasons.texts()] + list(trial.outcome_messages.values())
    for text in texts:
        assert "eligible" not in re.sub("possibly eligible", "", text, flags=re.I).lower(), text
        assert "ULN" not in text
    assert "possibly eligible; the trial team confirms" in trial.outcome_messages["possibly_eligible"]


# ---------------------------------------------------------------- bad files


def _write(tmp_path: Path, data: Any, name: str = "criteria.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _entry(data: dict[str, Any], criterion_id: str) -> dict[str, Any]:
    return next(e for e in data["criteria"] if e["id"] == criterion_id)


def _expect_error(path: Path, *fragments: str) -> str:
    with pytest.raises(CriteriaError) as info:
        load_trial_criteria(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("trial_id: NCT07520357\ncriteria: [\n  {id: x\n", encoding="utf-8")
    _expect_error(path, "invalid YAML")


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    _expect_error(tmp_path / "nope.yml", "cannot read")
    _expect_error(_write(tmp_path, ["a", "list"]), "expected a mapping at the top level")


def test_duplicate_yaml_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "dup.yml"
    path.write_text(CRITERIA_PATH.read_text(encoding="utf-8").replace("version: 1", "version: 1\nversion: 2"))
    _expect_error(path, "duplicate key 'version'")


MUTATIONS = [
    ("unknown fact", "age_18_to_75", {"fact": "age_years"}, "unknown fact 'age_years'"),
    ("answer type", "age_18_to_75", {"answer_type": "number"}, "does not match fact 'age'"),
    ("bad op", "age_18_to_75", {"rule": {"op": "around", "value": 50}}, "rule"),
    (
        "min > max",
        "age_18_to_75",
        {"rule": {"op": "between", "min": 75, "max": 18}},
        "min 75 is greater than max 18",
    ),
    (
        "between on bool",
        "interstitial_lung_disease",
        {"rule": {"op": "gte", "value": 1}},
        "needs a numeric fact",
    ),
    (
        "equals wrong type",
        "interstitial_lung_disease",
        {"rule": {"op": "equals", "value": 0}},
        "not a valid answer",
    ),
    (
        "map misses a value",
        "prior_topoisomerase1_inhibitor",
        {"rule": {"op": "map", "map": {"none": "met", "adc": "not_met"}}},
        "must map every value",
    ),
    (
        "review without reason",
        "prior_topoisomerase1_inhibitor",
        {"reasons": {"met": "a", "not_met": "b", "unknown": "c"}},
        "reasons.review is missing",
    ),
    (
        "eligible alone",
        "age_18_to_75",
        {"reasons": {"met": "You are eligible.", "not_met": "b", "unknown": "c"}},
        'uses "eligible" outside the phrase "possibly eligible"',
    ),
    (
        "ineligible",
        "age_18_to_75",
        {"reasons": {"met": "a", "not_met": "You are ineligible.", "unknown": "c"}},
        "possibly eligible",
    ),
    (
        "unknown placeholder",
        "age_18_to_75",
        {"reasons": {"met": "Age {age} is fine.", "not_met": "b", "unknown": "c"}},
        "unknown placeholders ['age']",
    ),
    (
        "value in unknown",
        "age_18_to_75",
        {"reasons": {"met": "a", "not_met": "b", "unknown": "Age {value} is not known."}},
        "reasons.unknown cannot use {value}",
    ),
    (
        "team prefix",
        "liver_function",
        {"reasons": {"unknown": "The team checks the liver."}},
        "must start with",
    ),
    (
        "team asked",
        "liver_function",
        {"plain_question": "How is your liver?"},
        "must be null: plain_question",
    ),
    ("no question", "ecog_0_to_1", {"plain_question": None}, "needs a plain_question"),
    (
        "choices mismatch",
        "excluded_histology",
        {"choices": [{"value": "none", "label": "None"}]},
        "choices must list",
    ),
    ("bad kind", "age_18_to_75", {"kind": "inclusive"}, "kind"),
    ("bad id", "age_18_to_75", {"id": "Age-18"}, "id"),
    ("extra field", "age_18_to_75", {"weight": 3}, "weight"),
    (
        "all rule mismatch",
        "blood_counts",
        {"rule": {"op": "all", "checks": {"anc": {"op": "gte", "value": 1.5}}}},
        "one check for each",
    ),
]


@pytest.mark.parametrize(
    ("label", "criterion_id", "change", "fragment"), MUTATIONS, ids=[m[0] for m in MUTATIONS]
)
def test_bad_entry_names_file_and_entry(
    tmp_path: Path, raw: dict[str, Any], label: str, criterion_id: str, change: dict[str, Any], fragment: str
) -> None:
    data = copy.deepcopy(raw)
    entry = _entry(data, criterion_id)
    index = data["criteria"].index(entry)
    entry.update(change)
    original_id = change.get("id", criterion_id)
    _expect_error(_write(tmp_path, data), f"criteria[{index}] (id {original_id!r})", fragment)


def test_duplicate_ids_and_facts_are_rejected(tmp_path: Path, raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["criteria"].append(copy.deepcopy(_entry(data, "age_18_to_75")))
    _expect_error(_write(tmp_path, data), "duplicate criterion ids: ['age_18_to_75']")
    data = copy.deepcopy(raw)
    clone = copy.deepcopy(_entry(data, "age_18_to_75"))
    clone["id"] = "age_again"
    data["criteria"].append(clone)
    _expect_error(_write(tmp_path, data), "facts used by more than one criterion: ['age']")


def test_question_order_and_outcome_messages_are_checked(tmp_path: Path, raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["question_order"] = [f for f in data["question_order"] if f != "hiv"]
    _expect_error(_write(tmp_path, data), "missing: ['hiv']")
    data = copy.deepcopy(raw)
    data["question_order"].append("anc_typo")
    _expect_error(_write(tmp_path, data), "'anc_typo' has no criterion")
    data = copy.deepcopy(raw)
    data["outcome_messages"]["not_eligible"] = "You are not eligible."
    _expect_error(_write(tmp_path, data), "outcome message")
    data = copy.deepcopy(raw)
    del data["outcome_messages"]["needs_review"]
    _expect_error(_write(tmp_path, data), "outcome_messages needs exactly")


def test_a_new_trial_is_a_new_file(tmp_path: Path) -> None:
    data = {
        "trial_id": "NCT01234567",
        "title": "A made-up trial",
        "source": "test",
        "version": 1,
        "question_order": ["age"],
        "outcome_messages": {
            "possibly_eligible": "Possibly eligible; the trial team confirms.",
            "needs_review": "The team reviews.",
            "not_eligible": "A requirement is not met.",
        },
        "criteria": [
            {
                "id": "adults_over_40",
                "kind": "inclusion",
                "assessed_by": "patient",
                "registry_text": "Age ≥ 40",
                "plain_question": "How old are you?",
                "fact": "age",
                "answer_type": "int",
                "rule": {"op": "gte", "value": 40},
                "reasons": {
                    "met": "Age {value} is fine.",
                    "not_met": "Age {value} is too young.",
                    "unknown": "?",
                },
            },
            {
                "id": "consent",
                "kind": "inclusion",
                "assessed_by": "trial_team",
                "registry_text": "Consent",
                "reasons": {"unknown": "Checked by the trial team: consent."},
            },
        ],
    }
    trial = load_trial_criteria(_write(tmp_path, data))
    assert screen({"age": 39}, trial).to_dict() == {
        "outcome": "not_eligible",
        "criteria": [
            {"id": "adults_over_40", "status": "not_met", "reason": "Age 39 is too young."},
            {"id": "consent", "status": "unknown", "reason": "Checked by the trial team: consent."},
        ],
    }
    assert screen({"age": 40}, trial).outcome == "possibly_eligible"
