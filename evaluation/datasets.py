"""Loading the evaluation sets: the project's gold questions and the external out-of-scope set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from trialbot.settings import REPO_ROOT

GOLD_PATH = REPO_ROOT / "evaluation" / "data" / "gold_questions.jsonl"
# Written blind (by a helper who read only the trial documents) after every weight had been chosen; it is
# measured, never used to choose anything.
HOLDOUT_PATH = REPO_ROOT / "evaluation" / "data" / "gold_holdout.jsonl"
OUT_OF_SCOPE_PATH = REPO_ROOT.parent / "shared" / "data" / "out_of_scope_dev.jsonl"


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    style: str
    expected_doc: str
    expected_section: str
    key_facts: tuple[str, ...]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_gold(path: Path = GOLD_PATH) -> list[GoldQuestion]:
    return [
        GoldQuestion(r["id"], r["question"], r.get("style", ""), r["expected_doc"], r["expected_section"],
                     tuple(r["key_facts"]))
        for r in read_jsonl(path)
    ]


def load_out_of_scope(path: Path = OUT_OF_SCOPE_PATH) -> list[str]:
    return [r["question"] for r in read_jsonl(path)]
