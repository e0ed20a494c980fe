"""JSON-lines pre-screening for scripts and exports (wired to ``trialbot screen --json``).

Each input line is one JSON object of facts; each output line is the screening result
(``ScreeningResult.to_dict()``) or ``{"error": "..."}`` for a line that cannot be screened.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from .criteria import TrialCriteria, load_trial_criteria
from .engine import screen
from .facts import FactError

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_criteria_path(trial_id: str = "NCT07520357") -> Path:
    """The criteria file of a trial inside this repository."""
    return REPO_ROOT / "knowledge" / "trials" / trial_id / "criteria.yml"


def _screen_line(line: str, criteria: TrialCriteria) -> tuple[dict[str, object], bool]:
    try:
        facts = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": f"invalid JSON: {exc}"}, False
    if not isinstance(facts, dict):
        return {"error": f"expected a JSON object of facts, got {type(facts).__name__}"}, False
    try:
        return screen(facts, criteria).to_dict(), True
    except FactError as exc:
        return {"error": str(exc)}, False


def run_screen_json(stdin: TextIO, stdout: TextIO, criteria_path: str | Path | None = None) -> int:
    """Screen one JSON object per input line and write one JSON result per line.

    Returns 0 if every line was valid, else 1.

    Blank lines are skipped. A bad criteria file raises ``CriteriaError`` before any line is read.
    """
    criteria = load_trial_criteria(criteria_path or default_criteria_path())
    ok = True
    for line in stdin:
        if not line.strip():
            continue
        result, line_ok = _screen_line(line, criteria)
        ok = ok and line_ok
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """``python -m actions.eligibility.cli [--criteria PATH] < facts.jsonl``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--criteria", type=Path, default=None, help="criteria.yml (default: NCT07520357)")
    args = parser.parse_args(argv)
    return run_screen_json(sys.stdin, sys.stdout, args.criteria)


if __name__ == "__main__":
    raise SystemExit(main())
