"""A second reading of the facts rate: answers judged by a reader, beside the strict phrase match.

The strict check (``retrieval_metrics.holds_facts``) asks for each key fact's exact words, so an answer that says
"every participant must provide a tumour tissue sample" misses the fact "tumour tissue sample must be available".
``data/fact_judgments.jsonl`` holds one verdict per gold and held-out question: did the shown answer convey every
key fact, in any words? Each verdict is tied to the SHA-256 of the answer it judged; when the product's answer
changes, that verdict no longer counts (it is reported as not judged) until the answer is judged again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluation.datasets import GoldQuestion, read_jsonl
from evaluation.retrieval_metrics import SystemOutput, holds_facts
from trialbot.settings import REPO_ROOT

JUDGMENTS_PATH = REPO_ROOT / "evaluation" / "data" / "fact_judgments.jsonl"


@dataclass(frozen=True)
class Judgment:
    """A reader's verdict on one shown answer."""

    question_id: str
    answer_sha256: str
    holds: bool
    missing: str = ""


@dataclass(frozen=True)
class JudgedFacts:
    """How the judged answers fare: ``holds`` of ``judged`` convey every fact; ``to_judge`` holds the answers
    with no verdict for their current text, ready to be judged (``write_to_judge``). ``strict_only`` /
    ``judged_only``: answers that only the strict check / only the reader counts as holding the facts."""

    total: int
    judged: int
    holds: int
    strict_only: tuple[str, ...]
    judged_only: tuple[str, ...]
    to_judge: tuple[dict, ...]

    @property
    def not_judged(self) -> int:
        return len(self.to_judge)

    @property
    def rate(self) -> float:
        """Share of all questions whose current answer a reader judged to convey every fact."""
        return self.holds / self.total if self.total else 0.0


def answer_digest(output: SystemOutput) -> str:
    """What a verdict is tied to: the shown answer's text, or the empty text for a declined question."""
    return hashlib.sha256((output.body if output.confident else "").encode("utf-8")).hexdigest()


def load_judgments(path: Path = JUDGMENTS_PATH) -> dict[str, Judgment]:
    """Verdicts by question id (an absent file gives none)."""
    if not path.exists():
        return {}
    return {r["id"]: Judgment(r["id"], r["answer_sha256"], bool(r["holds"]), r.get("missing", ""))
            for r in read_jsonl(path)}


def judge_outputs(golds: Sequence[GoldQuestion], outputs: Sequence[SystemOutput],
                  judgments: Mapping[str, Judgment]) -> JudgedFacts:
    """Compare the reader's verdicts with the strict check on the answers they judged."""
    judged = holds = 0
    strict_only: list[str] = []
    judged_only: list[str] = []
    to_judge: list[dict] = []
    for gold, output in zip(golds, outputs, strict=True):
        verdict, digest = judgments.get(gold.id), answer_digest(output)
        if verdict is None or verdict.answer_sha256 != digest:
            to_judge.append({"id": gold.id, "question": gold.question, "key_facts": list(gold.key_facts),
                             "answer": output.body if output.confident else "(declined)", "answer_sha256": digest})
            continue
        judged += 1
        strict = output.confident and holds_facts(gold, output.body)
        reader = output.confident and verdict.holds
        holds += reader
        if strict and not reader:
            strict_only.append(gold.id)
        elif reader and not strict:
            judged_only.append(gold.id)
    return JudgedFacts(len(golds), judged, holds, tuple(strict_only), tuple(judged_only), tuple(to_judge))


def write_to_judge(path: Path, *results: JudgedFacts) -> int:
    """Write the answers that have no verdict for their current text, one JSON line each (an empty file when
    every answer is judged); returns how many. Judge them and add the verdicts to ``JUDGMENTS_PATH``."""
    rows = [row for result in results for row in result.to_judge]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return len(rows)
