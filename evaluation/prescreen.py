"""Pre-screening evaluation: run the eligibility engine on hand-written patient vignettes.

Each vignette (``evaluation/data/prescreen_vignettes.jsonl``) holds facts, the expected outcome and the
expected status of the criteria that drive it. A vignette passes when the engine's outcome and every
listed criterion status match. Conversation vignettes are also checked for consistency with the dialogue:
one free-text turn per asked fact, in the criteria file's ``question_order``, stopping right after the
first clearly failed answer.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from actions.eligibility.cli import default_criteria_path
from actions.eligibility.criteria import TrialCriteria, load_trial_criteria
from actions.eligibility.engine import assess, screen
from actions.eligibility.facts import FactError, validate_facts

ROOT = Path(__file__).resolve().parent
DEFAULT_VIGNETTES = ROOT / "data" / "prescreen_vignettes.jsonl"
DEFAULT_REPORT = ROOT / "reports" / "prescreen.md"


def load_vignettes(path: str | Path) -> list[dict[str, Any]]:
    """Read the JSON-lines vignette file (blank lines skipped)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def expected_turn_count(facts: dict[str, Any], criteria: TrialCriteria) -> int:
    """How many questions a conversation asks: all of them, or up to the first clearly failed answer."""
    clean = validate_facts(facts)
    for index, fact in enumerate(criteria.question_order, start=1):
        crit = criteria.criterion_for_fact(fact)
        if crit is not None and clean.get(fact) is not None and assess(crit, clean).decision == "not_met":
            return index
    return len(criteria.question_order)


def _conversation_problems(vignette: dict[str, Any], criteria: TrialCriteria) -> list[str]:
    turns = vignette.get("turns")
    if not isinstance(turns, list) or not all(isinstance(t, str) and t.strip() for t in turns):
        return ["conversation vignette needs 'turns': a list of non-empty strings"]
    expected = expected_turn_count(vignette["facts"], criteria)
    problems = []
    if len(turns) != expected:
        problems.append(f"{len(turns)} turns, but the conversation asks {expected} questions")
    asked = criteria.question_order[:expected]
    if set(vignette["facts"]) != set(asked):
        problems.append(f"facts should be exactly the asked facts {asked}")
    return problems


def evaluate_vignette(vignette: dict[str, Any], criteria: TrialCriteria) -> dict[str, Any]:
    """Screen one vignette and compare outcome and listed criterion statuses."""
    row: dict[str, Any] = {
        "id": vignette.get("id"),
        "expected_outcome": vignette.get("expected_outcome"),
        "actual_outcome": None,
        "mismatches": [],
        "problems": [],
        "conversation": bool(vignette.get("conversation")),
    }
    try:
        result = screen(vignette["facts"], criteria)
    except (FactError, KeyError) as exc:
        row["problems"].append(f"cannot screen: {exc}")
        row["passed"] = False
        return row
    row["actual_outcome"] = result.outcome
    statuses = {r.id: r.status for r in result.criteria}
    for cid, want in vignette.get("expected_reasons", {}).items():
        got = statuses.get(cid, "(no such criterion)")
        if got != want:
            row["mismatches"].append({"criterion": cid, "expected": want, "actual": got})
    if not vignette.get("expected_reasons"):
        row["problems"].append("no expected_reasons listed")
    if row["conversation"]:
        row["problems"].extend(_conversation_problems(vignette, criteria))
    row["passed"] = (
        result.outcome == row["expected_outcome"] and not row["mismatches"] and not row["problems"]
    )
    return row


def evaluate_vignettes(
    vignettes_path: str | Path = DEFAULT_VIGNETTES, criteria_path: str | Path | None = None
) -> dict[str, Any]:
    """Evaluate every vignette; return totals, accuracy, per-outcome counts and per-vignette rows."""
    criteria = load_trial_criteria(criteria_path or default_criteria_path())
    vignettes = load_vignettes(vignettes_path)
    ids = [v.get("id") for v in vignettes]
    rows = [evaluate_vignette(v, criteria) for v in vignettes]
    for row in rows:
        if ids.count(row["id"]) > 1:
            row["problems"].append("duplicate vignette id")
            row["passed"] = False
    passed = sum(r["passed"] for r in rows)
    by_outcome: dict[str, dict[str, int]] = {}
    for row in rows:
        bucket = by_outcome.setdefault(str(row["expected_outcome"]), {"total": 0, "passed": 0})
        bucket["total"] += 1
        bucket["passed"] += int(row["passed"])
    return {
        "trial_id": criteria.trial_id,
        "vignettes_path": str(vignettes_path),
        "criteria_path": str(criteria_path or default_criteria_path()),
        "total": len(rows),
        "passed": passed,
        "failed": len(rows) - passed,
        "accuracy": passed / len(rows) if rows else 0.0,
        "conversations": sum(r["conversation"] for r in rows),
        "by_outcome": by_outcome,
        "criteria_checked": dict(Counter(m for v in vignettes for m in v.get("expected_reasons", {}))),
        "patient_criteria": [c.id for c in criteria.criteria if c.assessed_by == "patient"],
        "results": rows,
    }


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_prescreen_report(results: dict[str, Any], report_path: str | Path = DEFAULT_REPORT) -> Path:
    """Write the evaluation as Markdown: totals, accuracy, failures and what is measured."""
    path = Path(report_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Pre-screening evaluation ({results['trial_id']})",
        "",
        f"- Vignettes: {results['total']} ({results['conversations']} with conversation turns)",
        f"- Passed: {results['passed']}; failed: {results['failed']}",
        f"- Accuracy: {results['accuracy']:.1%}",
        f"- Criteria file: `{Path(results['criteria_path']).name}`; "
        f"vignettes: `{Path(results['vignettes_path']).name}`",
    ]
    checked = results["criteria_checked"]
    uncovered = [c for c in results["patient_criteria"] if c not in checked]
    lines += [
        f"- Patient-assessed criteria with an expected status in at least one vignette: "
        f"{len(results['patient_criteria']) - len(uncovered)} of {len(results['patient_criteria'])}"
        + (f" (not covered: {', '.join(uncovered)})" if uncovered else ""),
        "",
        "## By expected outcome",
        "",
        "| expected outcome | vignettes | passed |",
        "|---|---|---|",
    ]
    for outcome, counts in sorted(results["by_outcome"].items()):
        lines.append(f"| {outcome} | {counts['total']} | {counts['passed']} |")
    lines += ["", "## Failures", ""]
    failures = [r for r in results["results"] if not r["passed"]]
    if not failures:
        lines.append("None: every vignette's outcome and listed criteria matched.")
    else:
        lines += [
            "| vignette | expected | actual | criterion mismatches | other problems |",
            "|---|---|---|---|---|",
        ]
        for r in failures:
            mism = "; ".join(
                f"{m['criterion']}: expected {m['expected']}, got {m['actual']}" for m in r["mismatches"]
            )
            lines.append(
                f"| {r['id']} | {r['expected_outcome']} | {r['actual_outcome']} | {_cell(mism) or '–'} "
                f"| {_cell('; '.join(r['problems'])) or '–'} |"
            )
    lines += [
        "",
        "## What is measured",
        "",
        "Each vignette is a patient story written for this project, with the facts a navigator would",
        "record, the outcome the trial's criteria imply (possibly_eligible, needs_review or not_eligible)",
        "and the status of the criteria that drive it. A vignette passes when the eligibility engine gives",
        "the same outcome and the same status for every listed criterion. For conversation vignettes the",
        "free-text turns are also checked for shape: one turn per question in the dialogue's order, ending",
        "right after the first clear exclusion. This measures the rules and the criteria file, not language",
        "understanding: turning the free-text turns into facts is evaluated separately by driving these",
        "conversations through the bot. An outcome is pre-screening only; the trial team decides after",
        "reviewing full records.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m evaluation.prescreen``: evaluate and write the report; exit 1 if any vignette fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vignettes", type=Path, default=DEFAULT_VIGNETTES)
    parser.add_argument("--criteria", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    args = parser.parse_args(argv)
    results = evaluate_vignettes(args.vignettes, args.criteria)
    path = write_prescreen_report(results, args.report)
    print(f"{results['passed']}/{results['total']} vignettes passed; report: {path}")
    return 0 if results["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
