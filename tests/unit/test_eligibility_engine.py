"""Screening rules: every criterion, every boundary, the outcome rules and the JSON-lines command."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from actions.eligibility.cli import default_criteria_path, run_screen_json
from actions.eligibility.criteria import TrialCriteria, load_trial_criteria
from actions.eligibility.engine import ScreeningResult, screen
from actions.eligibility.facts import FACT_NAMES, FactError

pytestmark = pytest.mark.unit

CORE = list(FACT_NAMES[:14])
TEAM_IDS = [
    "informed_consent",
    "life_expectancy_12_weeks",
    "liver_function",
    "kidney_function",
    "coagulation",
    "contraception",
    "spinal_cord_compression",
    "uncontrolled_cancer_pain",
    "symptomatic_effusion",
    "fever_or_severe_infection",
    "gi_perforation_or_bleeding",
    "thrombotic_events",
    "uncontrolled_hypertension",
    "refractory_nausea_or_gi_disease",
    "live_vaccine",
    "unresolved_side_effects",
    "severe_antibody_allergy",
    "investigator_judgement",
]

# A patient who answers every asked question in the trial's favour.
PASS: dict[str, Any] = {
    "age": 62,
    "nec_confirmed": True,
    "excluded_subtype": "none",
    "progressed_after_platinum": True,
    "tissue_sample": "within_2_years",
    "measurable_lesion": True,
    "ecog": 1,
    "prior_cldn18_therapy": False,
    "prior_topo1": "none",
    "brain_metastases": "none",
    "ild_history": False,
    "hiv": False,
    "active_hepatitis": False,
    "other_cancer_within_3_years": False,
}
LABS: dict[str, Any] = {
    "anc": 2.4,
    "platelets": 180,
    "hemoglobin": 118,
    "lvef": 62,
    "days_since_last_anticancer_therapy": 35,
    "days_since_major_surgery": 400,
}
DROP = object()


@pytest.fixture(scope="module")
def trial() -> TrialCriteria:
    return load_trial_criteria(default_criteria_path())


def run(trial: TrialCriteria, base: dict[str, Any] | None = None, **changes: Any) -> ScreeningResult:
    facts = dict(PASS if base is None else base)
    for name, value in changes.items():
        if value is DROP:
            facts.pop(name, None)
        else:
            facts[name] = value
    return screen(facts, trial)


def no_bare_eligible(text: str) -> bool:
    return "eligible" not in re.sub("possibly eligible", "", text, flags=re.I).lower()


# ---------------------------------------------------------------- clear pass and the result shape


def test_clear_pass_is_possibly_eligible(trial: TrialCriteria) -> None:
    result = run(trial)
    assert result.outcome == "possibly_eligible"
    assert result.first_failed is None and result.review_ids == [] and result.missing_required == ()
    patient = [c for c in trial.criteria if c.assessed_by == "patient"]
    for crit in patient:
        expected = "met" if crit.is_required else "unknown"
        assert result.result(crit.id).status == expected, crit.id


def test_clear_pass_with_labs_meets_every_patient_criterion(trial: TrialCriteria) -> None:
    result = run(trial, {**PASS, **LABS})
    assert result.outcome == "possibly_eligible"
    statuses = {r.id: r.status for r in result.criteria}
    assert {i for i, s in statuses.items() if s == "unknown"} == set(TEAM_IDS)
    assert {i for i, s in statuses.items() if s == "met"} == {c.id for c in trial.criteria} - set(TEAM_IDS)
    assert result.result("blood_counts").reason == (
        "The blood counts given meet the trial's minimums: "
        "neutrophils (ANC) 2.4 ×10⁹/L (at least 1.5 needed); "
        "platelets 180 ×10⁹/L (at least 100 needed); haemoglobin 118 g/L (at least 90 needed). "
        "The trial team repeats these tests at screening."
    )


def test_to_dict_lists_every_criterion_in_file_order(trial: TrialCriteria) -> None:
    data = run(trial).to_dict()
    assert set(data) == {"outcome", "criteria"}
    assert [c["id"] for c in data["criteria"]] == [c.id for c in trial.criteria]
    assert len(data["criteria"]) == 36
    for item in data["criteria"]:
        assert set(item) == {"id", "status", "reason"}
        assert item["status"] in {"met", "not_met", "unknown"}
        assert item["reason"] and "{" not in item["reason"]
    json.dumps(data)


def test_trial_team_criteria_are_listed_not_asked_and_never_decide(trial: TrialCriteria) -> None:
    result = run(trial)
    for cid in TEAM_IDS:
        r = result.result(cid)
        assert r.status == "unknown" and r.decision == "trial_team"
        assert r.reason.startswith("Checked by the trial team: ")
        assert trial.by_id(cid).plain_question is None
    asked = {trial.criterion_for_fact(f).id for f in trial.question_order}  # type: ignore[union-attr]
    assert asked.isdisjoint(TEAM_IDS)
    assert result.outcome == "possibly_eligible"


# ---------------------------------------------------------------- every criterion and boundary

CASES = [
    # (changes, criterion id, status, outcome, fragment of the reason)
    (
        {"age": 17},
        "age_18_to_75",
        "not_met",
        "not_eligible",
        "Age 17 is outside the trial's age range of 18 to 75",
    ),
    ({"age": 18}, "age_18_to_75", "met", "possibly_eligible", "Age 18 is within"),
    ({"age": 75}, "age_18_to_75", "met", "possibly_eligible", "Age 75 is within"),
    ({"age": 76}, "age_18_to_75", "not_met", "not_eligible", "Age 76 is outside"),
    ({"nec_confirmed": False}, "confirmed_advanced_nec", "not_met", "not_eligible", "confirmed by a biopsy"),
    (
        {"excluded_subtype": "merkel_cell"},
        "excluded_histology",
        "not_met",
        "not_eligible",
        "Merkel cell carcinoma.",
    ),
    (
        {"excluded_subtype": "neuroendocrine_prostate"},
        "excluded_histology",
        "not_met",
        "not_eligible",
        "one of them: Neuroendocrine prostate cancer.",
    ),
    (
        {"excluded_subtype": "medullary_thyroid"},
        "excluded_histology",
        "not_met",
        "not_eligible",
        "Medullary thyroid cancer",
    ),
    (
        {"progressed_after_platinum": False},
        "progression_after_platinum",
        "not_met",
        "not_eligible",
        "cisplatin",
    ),
    (
        {"tissue_sample": "older_than_2_years"},
        "tissue_sample_available",
        "unknown",
        "needs_review",
        "new biopsy",
    ),
    ({"tissue_sample": "none"}, "tissue_sample_available", "unknown", "needs_review", "new biopsy"),
    ({"measurable_lesion": False}, "measurable_lesion_recist", "not_met", "not_eligible", "radiotherapy"),
    ({"ecog": 0}, "ecog_0_to_1", "met", "possibly_eligible", "ECOG score 0"),
    ({"ecog": 1}, "ecog_0_to_1", "met", "possibly_eligible", "ECOG score 1"),
    ({"ecog": 2}, "ecog_0_to_1", "not_met", "not_eligible", "a score of 2 means more limitation"),
    ({"ecog": 4}, "ecog_0_to_1", "not_met", "not_eligible", "a score of 4"),
    (
        {"anc": 1.49},
        "blood_counts",
        "not_met",
        "not_eligible",
        "neutrophils (ANC) 1.49 ×10⁹/L (at least 1.5 needed)",
    ),
    ({"anc": 1.5}, "blood_counts", "unknown", "possibly_eligible", "neutrophils (ANC) 1.5 ×10⁹/L"),
    (
        {"platelets": 99.9},
        "blood_counts",
        "not_met",
        "not_eligible",
        "platelets 99.9 ×10⁹/L (at least 100 needed)",
    ),
    (
        {"platelets": 100},
        "blood_counts",
        "unknown",
        "possibly_eligible",
        "not known: neutrophils (ANC), haemoglobin",
    ),
    (
        {"hemoglobin": 89},
        "blood_counts",
        "not_met",
        "not_eligible",
        "haemoglobin 89 g/L (at least 90 needed)",
    ),
    ({"hemoglobin": 89.9}, "blood_counts", "not_met", "not_eligible", "haemoglobin 89.9 g/L"),
    ({"hemoglobin": 90}, "blood_counts", "unknown", "possibly_eligible", "haemoglobin 90 g/L"),
    (
        {"anc": 1.5, "platelets": 100, "hemoglobin": 90},
        "blood_counts",
        "met",
        "possibly_eligible",
        "meet the trial's minimums",
    ),
    (
        {"lvef": 49},
        "lvef_50_percent",
        "not_met",
        "not_eligible",
        "(LVEF 49%) is below the trial's minimum of 50%",
    ),
    ({"lvef": 49.9}, "lvef_50_percent", "not_met", "not_eligible", "LVEF 49.9%"),
    (
        {"lvef": 50},
        "lvef_50_percent",
        "met",
        "possibly_eligible",
        "(LVEF 50%) meets the trial's minimum of 50%",
    ),
    (
        {"prior_cldn18_therapy": True},
        "prior_cldn18_targeted_therapy",
        "not_met",
        "not_eligible",
        "zolbetuximab",
    ),
    ({"prior_topo1": "adc"}, "prior_topoisomerase1_inhibitor", "not_met", "not_eligible", "Enhertu"),
    (
        {"prior_topo1": "small_molecule"},
        "prior_topoisomerase1_inhibitor",
        "unknown",
        "needs_review",
        "must confirm",
    ),
    (
        {"brain_metastases": "untreated"},
        "brain_or_meningeal_metastases",
        "not_met",
        "not_eligible",
        "not been treated",
    ),
    (
        {"brain_metastases": "treated_stable"},
        "brain_or_meningeal_metastases",
        "met",
        "possibly_eligible",
        "stable for at least 4 weeks, steroid medicines were stopped more than 2 weeks ago "
        "and it causes no symptoms",
    ),
    (
        {"days_since_last_anticancer_therapy": 20},
        "recent_anticancer_therapy",
        "unknown",
        "needs_review",
        "5 half",
    ),
    (
        {"days_since_last_anticancer_therapy": 0},
        "recent_anticancer_therapy",
        "unknown",
        "needs_review",
        "0 days",
    ),
    (
        {"days_since_last_anticancer_therapy": 21},
        "recent_anticancer_therapy",
        "met",
        "possibly_eligible",
        "21 days",
    ),
    (
        {"days_since_major_surgery": 27},
        "recent_major_surgery",
        "not_met",
        "not_eligible",
        "27 days ago is within",
    ),
    (
        {"days_since_major_surgery": 28},
        "recent_major_surgery",
        "met",
        "possibly_eligible",
        "28 days ago, at least",
    ),
    (
        {"other_cancer_within_3_years": True},
        "other_malignancy_3_years",
        "not_met",
        "not_eligible",
        "last 3 years",
    ),
    ({"ild_history": True}, "interstitial_lung_disease", "not_met", "not_eligible", "lung"),
    ({"hiv": True}, "autoimmune_transplant_or_hiv", "not_met", "not_eligible", "HIV-positive"),
    ({"active_hepatitis": True}, "active_hepatitis_b_or_c", "not_met", "not_eligible", "hepatitis B or C"),
]


@pytest.mark.parametrize(
    ("changes", "cid", "status", "outcome", "fragment"),
    CASES,
    ids=[f"{c[1]}-{'-'.join(map(str, c[0].values()))}" for c in CASES],
)
def test_criterion_and_boundary(
    trial: TrialCriteria, changes: dict[str, Any], cid: str, status: str, outcome: str, fragment: str
) -> None:
    result = run(trial, **changes)
    r = result.result(cid)
    assert r.status == status
    assert fragment in r.reason
    assert result.outcome == outcome
    others = [x for x in result.criteria if x.id != cid and x.decision in ("not_met", "review")]
    assert others == [], "only the changed criterion may decide"
    if status == "not_met":
        assert result.first_failed is not None and result.first_failed.id == cid
    if outcome == "needs_review":
        assert result.review_ids == [cid]


def test_small_molecule_topo1_names_the_disagreement(trial: TrialCriteria) -> None:
    r = run(trial, prior_topo1="small_molecule").result("prior_topoisomerase1_inhibitor")
    assert r.decision == "review"
    assert "registry wording" in r.reason and "trial summary" in r.reason
    assert "disagree" in r.reason and "the trial team must confirm" in r.reason
    assert "irinotecan" in r.reason


def test_topo1_adc_is_a_clear_exclusion_even_with_other_unknowns(trial: TrialCriteria) -> None:
    result = run(trial, prior_topo1="adc", ecog=None, tissue_sample="none")
    assert result.outcome == "not_eligible"
    assert result.first_failed is not None and result.first_failed.id == "prior_topoisomerase1_inhibitor"
    assert result.review_ids == ["tissue_sample_available"]


# ---------------------------------------------------------------- outcome rules


def test_clear_failure_wins_over_review_and_unknown(trial: TrialCriteria) -> None:
    result = run(trial, age=80, prior_topo1="small_molecule", hiv=None)
    assert result.outcome == "not_eligible"
    assert result.review_ids == ["prior_topoisomerase1_inhibitor"]
    assert [r.id for r in result.missing_required] == ["autoimmune_transplant_or_hiv"]


def test_first_failed_is_the_first_in_file_order(trial: TrialCriteria) -> None:
    result = run(trial, hiv=True, ecog=3, age=16)
    assert [r.id for r in result.failed] == ["age_18_to_75", "ecog_0_to_1", "autoimmune_transplant_or_hiv"]
    assert result.first_failed is not None and result.first_failed.id == "age_18_to_75"


@pytest.mark.parametrize("fact", CORE)
def test_each_unknown_patient_answer_needs_review(trial: TrialCriteria, fact: str) -> None:
    missing = run(trial, **{fact: DROP})
    null = run(trial, **{fact: None})
    assert missing.outcome == "needs_review"
    assert missing.to_dict() == null.to_dict()
    crit = trial.criterion_for_fact(fact)
    assert crit is not None
    r = missing.result(crit.id)
    assert r.status == "unknown" and r.decision == "missing" and r.required
    assert r.reason == crit.reasons.unknown
    assert missing.review_ids == []


def test_unknown_labs_and_timing_alone_do_not_stop_possibly_eligible(trial: TrialCriteria) -> None:
    result = run(trial, **dict.fromkeys(LABS))
    assert result.outcome == "possibly_eligible"
    for cid in ("blood_counts", "lvef_50_percent", "recent_anticancer_therapy", "recent_major_surgery"):
        r = result.result(cid)
        assert r.status == "unknown" and not r.required
    assert "does not hold up pre-screening" in result.result("blood_counts").reason
    assert "not known: neutrophils (ANC), platelets, haemoglobin" in result.result("blood_counts").reason
    assert "3 weeks" in result.result("recent_anticancer_therapy").reason
    assert "4 weeks (28 days)" in result.result("recent_major_surgery").reason


def test_partial_blood_counts_are_checked_when_given(trial: TrialCriteria) -> None:
    r = run(trial, platelets=150, hemoglobin=None).result("blood_counts")
    assert r.status == "unknown"
    assert "platelets 150 ×10⁹/L (at least 100 needed); not known: neutrophils (ANC), haemoglobin" in r.reason
    failed = run(trial, platelets=60, anc=1.0, hemoglobin=120).result("blood_counts")
    assert failed.status == "not_met"
    assert "neutrophils (ANC) 1 ×10⁹/L (at least 1.5 needed); platelets 60 ×10⁹/L (at least 100 needed)" in (
        failed.reason
    )
    assert "haemoglobin" not in failed.reason


def test_nothing_known_needs_review_without_failures(trial: TrialCriteria) -> None:
    result = screen({}, trial)
    assert result.outcome == "needs_review"
    assert result.failed == () and result.review_ids == []
    assert {r.status for r in result.criteria} == {"unknown"}
    assert len(result.missing_required) == 14


def test_review_and_unknown_together_need_review(trial: TrialCriteria) -> None:
    result = run(trial, tissue_sample="older_than_2_years", prior_topo1="small_molecule", age=None)
    assert result.outcome == "needs_review"
    assert result.review_ids == ["tissue_sample_available", "prior_topoisomerase1_inhibitor"]
    assert [r.id for r in result.review] == result.review_ids


def test_screen_rejects_bad_facts(trial: TrialCriteria) -> None:
    with pytest.raises(FactError, match="age"):
        screen({**PASS, "age": True}, trial)
    with pytest.raises(FactError, match="unknown fact name"):
        screen({**PASS, "smoker": False}, trial)
    with pytest.raises(FactError, match="unknown value 'enhertu'"):
        screen({**PASS, "prior_topo1": "enhertu"}, trial)


# ---------------------------------------------------------------- wording


def _many_results(trial: TrialCriteria) -> list[ScreeningResult]:
    results = [run(trial), run(trial, {**PASS, **LABS}), screen({}, trial)]
    results += [run(trial, **changes) for changes, *_ in CASES]
    results += [run(trial, **{fact: None}) for fact in CORE]
    return results


def test_no_reason_says_eligible_except_possibly_eligible(trial: TrialCriteria) -> None:
    for result in _many_results(trial):
        for r in result.criteria:
            assert no_bare_eligible(r.reason), r.reason
    for message in trial.outcome_messages.values():
        assert no_bare_eligible(message)


def test_reasons_avoid_unexplained_jargon(trial: TrialCriteria) -> None:
    for result in _many_results(trial):
        for r in result.criteria:
            assert "ULN" not in r.reason and "{" not in r.reason
            if "RECIST" in r.reason:
                assert "measuring rules" in r.reason
            if "ECOG" in r.reason:
                assert "light work" in r.reason
            assert r.reason.endswith("."), r.reason
            assert r.reason[0].isupper()


# ---------------------------------------------------------------- JSON lines


def _cli(text: str) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    code = run_screen_json(io.StringIO(text), out, default_criteria_path())
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_cli_screens_one_object_per_line(trial: TrialCriteria) -> None:
    lines = [json.dumps(PASS), "", json.dumps({**PASS, "prior_topo1": "adc"}), json.dumps({})]
    code, results = _cli("\n".join(lines) + "\n")
    assert code == 0
    assert [r["outcome"] for r in results] == ["possibly_eligible", "not_eligible", "needs_review"]
    assert results[0] == run(trial).to_dict()


def test_cli_reports_bad_lines_and_continues() -> None:
    lines = ["{not json", "[1, 2]", json.dumps({"age": True}), json.dumps({"agee": 60}), json.dumps(PASS)]
    code, results = _cli("\n".join(lines))
    assert code == 1
    assert results[0]["error"].startswith("invalid JSON")
    assert results[1] == {"error": "expected a JSON object of facts, got list"}
    assert "age: expected a whole number" in results[2]["error"] and "got bool True" in results[2]["error"]
    assert "agee: unknown fact name; did you mean 'age'?" in results[3]["error"]
    assert results[4]["outcome"] == "possibly_eligible"
    assert all(set(r) == {"error"} for r in results[:4])


def test_cli_json_null_is_dont_know() -> None:
    code, results = _cli(json.dumps({**PASS, "ecog": None}) + "\n")
    assert code == 0
    ecog = next(c for c in results[0]["criteria"] if c["id"] == "ecog_0_to_1")
    assert results[0]["outcome"] == "needs_review" and ecog["status"] == "unknown"
