"""The pre-screening evaluation on the project's vignettes, and that it catches wrong expectations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actions.eligibility.cli import default_criteria_path
from evaluation.prescreen import (
    DEFAULT_VIGNETTES,
    evaluate_vignettes,
    expected_turn_count,
    load_vignettes,
    write_prescreen_report,
)

pytestmark = pytest.mark.unit

OUTCOMES = {"possibly_eligible", "needs_review", "not_eligible"}


def test_vignette_file_has_the_agreed_shape() -> None:
    vignettes = load_vignettes(DEFAULT_VIGNETTES)
    assert len(vignettes) >= 55
    assert len({v["id"] for v in vignettes}) == len(vignettes)
    conversations = [v for v in vignettes if v.get("conversation")]
    assert len(conversations) >= 18
    for v in vignettes:
        assert set(v) <= {
            "id",
            "description",
            "facts",
            "expected_outcome",
            "expected_reasons",
            "conversation",
            "turns",
        }
        assert v["expected_outcome"] in OUTCOMES and v["description"] and v["expected_reasons"]
    for v in conversations:
        assert 1 <= len(v["turns"]) <= 14
    outcomes = {o: sum(v["expected_outcome"] == o for v in vignettes) for o in OUTCOMES}
    assert min(outcomes.values()) >= 10
    stopped_early = [v for v in conversations if len(v["turns"]) < 14]
    assert len(stopped_early) >= 5
    topo = {v["facts"].get("prior_topo1") for v in vignettes}
    assert {"small_molecule", "adc"} <= topo


def test_all_vignettes_pass() -> None:
    results = evaluate_vignettes(DEFAULT_VIGNETTES, default_criteria_path())
    failures = [r for r in results["results"] if not r["passed"]]
    assert failures == []
    assert results["accuracy"] == 1.0 and results["failed"] == 0
    assert results["total"] == results["passed"] >= 55
    assert set(results["patient_criteria"]) <= set(results["criteria_checked"])


def test_wrong_expectations_are_reported(tmp_path: Path) -> None:
    vignettes = load_vignettes(DEFAULT_VIGNETTES)
    by_id = {v["id"]: v for v in vignettes}
    wrong_outcome = dict(by_id["v001"], id="x1", expected_outcome="not_eligible")
    wrong_reason = dict(by_id["v012"], id="x2", expected_reasons={"prior_topoisomerase1_inhibitor": "met"})
    wrong_turns = dict(by_id["v012"], id="x3", turns=by_id["v012"]["turns"] + ["no"])
    bad_facts = dict(by_id["v002"], id="x4", facts={"age": "62"})
    path = tmp_path / "v.jsonl"
    path.write_text(
        "\n".join(json.dumps(v) for v in (wrong_outcome, wrong_reason, wrong_turns, bad_facts)),
        encoding="utf-8",
    )
    results = evaluate_vignettes(path, default_criteria_path())
    rows = {r["id"]: r for r in results["results"]}
    assert results["passed"] == 0 and results["failed"] == 4 and results["accuracy"] == 0.0
    assert rows["x1"]["actual_outcome"] == "possibly_eligible"
    assert rows["x2"]["mismatches"] == [
        {"criterion": "prior_topoisomerase1_inhibitor", "expected": "met", "actual": "not_met"}
    ]
    assert rows["x3"]["problems"] == ["10 turns, but the conversation asks 9 questions"]
    assert "cannot screen" in rows["x4"]["problems"][0]

    report = write_prescreen_report(results, tmp_path / "reports" / "prescreen.md")
    text = report.read_text(encoding="utf-8")
    assert "- Passed: 0; failed: 4" in text and "- Accuracy: 0.0%" in text
    assert (
        "| x2 | not_eligible | not_eligible | prior_topoisomerase1_inhibitor: expected met, got not_met |"
        in text
    )
    assert "## What is measured" in text


def test_report_for_the_real_vignettes(tmp_path: Path) -> None:
    results = evaluate_vignettes(DEFAULT_VIGNETTES, default_criteria_path())
    text = write_prescreen_report(results, tmp_path / "prescreen.md").read_text(encoding="utf-8")
    assert f"- Vignettes: {results['total']} ({results['conversations']} with conversation turns)" in text
    assert "- Accuracy: 100.0%" in text
    assert "None: every vignette's outcome and listed criteria matched." in text


def test_expected_turn_count_stops_after_the_first_clear_exclusion() -> None:
    from actions.eligibility.criteria import load_trial_criteria

    trial = load_trial_criteria(default_criteria_path())
    assert expected_turn_count({"age": 80}, trial) == 1
    assert (
        expected_turn_count({"age": 60, "nec_confirmed": None, "excluded_subtype": "merkel_cell"}, trial) == 3
    )
    assert expected_turn_count({"age": 60, "prior_topo1": "small_molecule"}, trial) == 14
    assert expected_turn_count({}, trial) == 14
