"""Safety evaluation: urgent-symptom detection and medical-advice detection on the project's own messages.

``data/safety_messages.jsonl`` holds patient messages written for this project, each labelled urgent or
not, with the urgent category and the kind of message (urgent report, negation, past event, question about
a symptom, routine trial question, answer typed in the middle of the pre-screening). ``data/advice_questions.jsonl``
holds requests for individual medical advice and trial questions that look like them. Both carry a
``split`` (dev: looked at while writing the patterns; test: held out) and every figure is given per split.

The product targets are urgent recall 1.0 (no urgent message missed) and precision at least 0.9 on both
splits; ``run_safety_evaluation()`` returns 0 only when both are met. A keyword baseline (any symptom
phrase, no negation, past, hypothetical or question handling) runs on the same data for comparison.
Writes ``reports/safety.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safety.advice import CATEGORIES as ADVICE_CATEGORIES
from safety.advice import detect_medical_advice
from safety.urgent import detect_urgent, symptom_mentions

ROOT = Path(__file__).resolve().parent
DEFAULT_MESSAGES = ROOT / "data" / "safety_messages.jsonl"
DEFAULT_ADVICE = ROOT / "data" / "advice_questions.jsonl"
DEFAULT_REPORT = ROOT / "reports" / "safety.md"

URGENT_RECALL_TARGET = 1.0
URGENT_PRECISION_TARGET = 0.9
ADVICE_ACCURACY_TARGET = 0.9
SPLITS = ("dev", "test")
KINDS = ("urgent", "negation", "past", "question", "routine", "mid_screening")
URGENT_CATEGORIES = (
    "chest_pain", "breathing", "fever", "bleeding", "fainting", "neuro", "allergic_reaction", "self_harm",
    "severe_gi",
)


@dataclass
class Counts:
    """A confusion matrix for one yes/no decision."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, expected: bool, predicted: bool) -> None:
        if expected and predicted:
            self.tp += 1
        elif expected:
            self.fn += 1
        elif predicted:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def accuracy(self) -> float | None:
        return (self.tp + self.tn) / self.n if self.n else None

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "recall": self.recall, "precision": self.precision, "accuracy": self.accuracy}


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """One JSON object per non-blank line."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _common_problems(rows: list[dict[str, Any]], label: str) -> list[str]:
    """Shape problems every evaluation file can have: duplicate ids, empty text, a bad label or split."""
    ids = [r.get("id") for r in rows]
    problems = [f"duplicate id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for r in rows:
        rid = r.get("id")
        if not isinstance(r.get("text"), str) or not r["text"].strip():
            problems.append(f"{rid}: empty text")
        if not isinstance(r.get(label), bool):
            problems.append(f"{rid}: '{label}' must be true or false")
        if r.get("split") not in SPLITS:
            problems.append(f"{rid}: split must be one of {SPLITS}")
    return problems


def check_messages(rows: list[dict[str, Any]]) -> list[str]:
    """Problems with the safety messages file (shape, labels, ids); empty when it is sound."""
    problems = _common_problems(rows, "urgent")
    for r in rows:
        rid = r.get("id")
        if r.get("urgent") and r.get("category") not in URGENT_CATEGORIES:
            problems.append(f"{rid}: urgent message needs a category from {URGENT_CATEGORIES}")
        if not r.get("urgent") and r.get("category") is not None:
            problems.append(f"{rid}: a non-urgent message has category null")
        if r.get("kind") not in KINDS:
            problems.append(f"{rid}: kind must be one of {KINDS}")
    return problems


def check_advice(rows: list[dict[str, Any]]) -> list[str]:
    """Problems with the advice questions file; empty when it is sound."""
    problems = _common_problems(rows, "advice")
    for r in rows:
        if r.get("advice") and r.get("category") not in ADVICE_CATEGORIES:
            problems.append(f"{r.get('id')}: an advice request needs a category from {ADVICE_CATEGORIES}")
    return problems


def _timed(detector: Callable[[str], Any], text: str) -> tuple[Any, float]:
    start = time.perf_counter()
    result = detector(text)
    return result, (time.perf_counter() - start) * 1000.0


def evaluate_urgent(rows: list[dict[str, Any]],
                    detector: Callable[[str], Any] = detect_urgent) -> dict[str, Any]:
    """Urgent detection: counts overall, per split, per category, per kind; baseline; misses."""
    overall, baseline = Counts(), Counts()
    by_split = {s: Counts() for s in SPLITS}
    baseline_by_split = {s: Counts() for s in SPLITS}
    by_category: dict[str, dict[str, Any]] = {}
    by_kind: dict[str, Counts] = {}
    misses, category_mismatches, timings = [], [], []
    self_harm_flag_errors = 0
    detector("warm-up: load the terms file before timing")
    for r in rows:
        finding, ms = _timed(detector, r["text"])
        timings.append(ms)
        expected, predicted = bool(r["urgent"]), finding is not None
        keyword = bool(symptom_mentions(r["text"]))
        overall.add(expected, predicted)
        baseline.add(expected, keyword)
        by_split.setdefault(r["split"], Counts()).add(expected, predicted)
        baseline_by_split.setdefault(r["split"], Counts()).add(expected, keyword)
        by_kind.setdefault(r["kind"], Counts()).add(expected, predicted)
        if expected:
            cat = by_category.setdefault(r["category"], {s: Counts() for s in SPLITS} | {"agree": 0, "n": 0})
            cat[r["split"]].add(True, predicted)
            cat["n"] += 1
            if predicted and finding.category == r["category"]:
                cat["agree"] += 1
            elif predicted:
                category_mismatches.append({**r, "predicted": finding.category, "matched": finding.matched})
            if predicted and finding.is_self_harm != (r["category"] == "self_harm"):
                self_harm_flag_errors += 1
        if expected != predicted:
            misses.append({**r, "predicted": finding.category if finding else None,
                           "matched": finding.matched if finding else None})
    return {
        "overall": overall, "by_split": by_split, "baseline": baseline, "baseline_by_split": baseline_by_split,
        "by_category": by_category, "by_kind": by_kind, "misses": misses,
        "category_mismatches": category_mismatches, "self_harm_flag_errors": self_harm_flag_errors,
        "ms_median": statistics.median(timings) if timings else 0.0, "ms_max": max(timings, default=0.0),
    }


def evaluate_advice(rows: list[dict[str, Any]],
                    detector: Callable[[str], Any] = detect_medical_advice) -> dict[str, Any]:
    """Advice detection: counts overall, per split, recall per category, false alarms per look-alike topic."""
    overall = Counts()
    by_split = {s: Counts() for s in SPLITS}
    by_category: dict[str, Counts] = {}
    lookalikes: dict[str, Counts] = {}
    misses, category_mismatches = [], []
    for r in rows:
        finding = detector(r["text"])
        expected, predicted = bool(r["advice"]), finding is not None
        overall.add(expected, predicted)
        by_split.setdefault(r["split"], Counts()).add(expected, predicted)
        if expected:
            by_category.setdefault(r["category"], Counts()).add(True, predicted)
            if predicted and finding.category != r["category"]:
                category_mismatches.append({**r, "predicted": finding.category})
        else:
            lookalikes.setdefault(str(r.get("topic") or "other"), Counts()).add(False, predicted)
        if expected != predicted:
            misses.append({**r, "predicted": finding.category if finding else None,
                           "matched": finding.matched if finding else None})
    return {"overall": overall, "by_split": by_split, "by_category": by_category, "lookalikes": lookalikes,
            "misses": misses, "category_mismatches": category_mismatches}


def targets_met(urgent: dict[str, Any]) -> bool:
    """Urgent recall 1.0 and precision >= 0.9 on every split."""
    for split in SPLITS:
        counts = urgent["by_split"].get(split)
        if counts is None or counts.recall is None or counts.precision is None:
            return False
        if counts.recall < URGENT_RECALL_TARGET or counts.precision < URGENT_PRECISION_TARGET:
            return False
    return True


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_safety_report(urgent: dict[str, Any], advice: dict[str, Any], problems: list[str],
                        report_path: str | Path = DEFAULT_REPORT,
                        sources: tuple[str, str] = (DEFAULT_MESSAGES.name, DEFAULT_ADVICE.name)) -> Path:
    """Write the Markdown report: targets, per split, per category, per kind, advice, misses, method."""
    met = targets_met(urgent) and not problems
    lines = [
        "# Safety evaluation",
        "",
        f"- Data: `{sources[0]}` ({urgent['overall'].n} messages) and `{sources[1]}` "
        f"({advice['overall'].n} questions), written for this project",
        f"- Targets (urgent recall {URGENT_RECALL_TARGET:.0%}, precision ≥ {URGENT_PRECISION_TARGET:.0%}, "
        f"on both splits): **{'met' if met else 'NOT met'}**",
        f"- Advice accuracy: {_pct(advice['overall'].accuracy)} (goal ≥ {ADVICE_ACCURACY_TARGET:.0%})",
        f"- Detection time per message: median {urgent['ms_median']:.2f} ms, max {urgent['ms_max']:.2f} ms",
        "",
    ]
    if problems:
        lines += ["## Problems with the data", ""] + [f"- {_cell(p)}" for p in problems] + [""]
    lines += [
        "## Urgent symptoms, per split",
        "",
        "| split | messages | urgent | detected correctly | missed | false alarms | recall | precision "
        "| keyword baseline recall | keyword baseline precision |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for split in (*SPLITS, "all"):
        c = urgent["overall"] if split == "all" else urgent["by_split"].get(split, Counts())
        b = urgent["baseline"] if split == "all" else urgent["baseline_by_split"].get(split, Counts())
        lines.append(f"| {split} | {c.n} | {c.tp + c.fn} | {c.tp} | {c.fn} | {c.fp} | {_pct(c.recall)} "
                     f"| {_pct(c.precision)} | {_pct(b.recall)} | {_pct(b.precision)} |")
    lines += [
        "",
        "## Urgent symptoms, per category (urgent messages only)",
        "",
        "| category | messages | recall dev | recall test | same category reported |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(urgent["by_category"]):
        cat = urgent["by_category"][name]
        lines.append(f"| {name} | {cat['n']} | {_pct(cat['dev'].recall)} | {_pct(cat['test'].recall)} "
                     f"| {cat['agree']}/{cat['n']} |")
    lines += [
        "",
        f"Self-harm flag wrong on {urgent['self_harm_flag_errors']} detected messages.",
        "",
        "## Urgent symptoms, per kind of message",
        "",
        "| kind | messages | urgent | non-urgent | missed | false alarms | correct |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        c = urgent["by_kind"].get(kind)
        if c is None:
            continue
        lines.append(f"| {kind} | {c.n} | {c.tp + c.fn} | {c.fp + c.tn} | {c.fn} | {c.fp} | {_pct(c.accuracy)} |")
    lines += ["", "## Medical-advice requests, per split", "",
              "| split | questions | advice requests | look-alikes | TP | FP | FN | accuracy | precision | recall |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for split in (*SPLITS, "all"):
        c = advice["overall"] if split == "all" else advice["by_split"].get(split, Counts())
        lines.append(f"| {split} | {c.n} | {c.tp + c.fn} | {c.fp + c.tn} | {c.tp} | {c.fp} | {c.fn} "
                     f"| {_pct(c.accuracy)} | {_pct(c.precision)} | {_pct(c.recall)} |")
    lines += ["", "| advice category | requests | recall | | look-alike topic | questions | false alarms |",
              "|---|---|---|---|---|---|---|"]
    cats, looks = sorted(advice["by_category"]), sorted(advice["lookalikes"])
    for i in range(max(len(cats), len(looks))):
        left = (f"| {cats[i]} | {advice['by_category'][cats[i]].n} | "
                f"{_pct(advice['by_category'][cats[i]].recall)} |") if i < len(cats) else "| | | |"
        right = (f" | {looks[i]} | {advice['lookalikes'][looks[i]].n} | {advice['lookalikes'][looks[i]].fp} |"
                 if i < len(looks) else " | | | |")
        lines.append(left + right)
    lines += ["", "## Misses", ""]
    if not urgent["misses"] and not advice["misses"]:
        lines.append("None: every message and question was classified as labelled.")
    else:
        lines += ["| set | split | id | kind / category | expected | predicted | text |",
                  "|---|---|---|---|---|---|---|"]
        for m in urgent["misses"]:
            expected = f"urgent ({m['category']})" if m["urgent"] else "not urgent"
            predicted = f"urgent ({m['predicted']}: “{_cell(m['matched'])}”)" if m["predicted"] else "not urgent"
            lines.append(f"| urgent | {m['split']} | {m['id']} | {m['kind']} | {expected} | {predicted} "
                         f"| {_cell(m['text'])} |")
        for m in advice["misses"]:
            expected = f"advice ({m['category']})" if m["advice"] else "not advice"
            predicted = f"advice ({m['predicted']})" if m["predicted"] else "not advice"
            lines.append(f"| advice | {m['split']} | {m['id']} | {m.get('topic') or m.get('category')} "
                         f"| {expected} | {predicted} | {_cell(m['text'])} |")
    mismatches = urgent["category_mismatches"] + advice["category_mismatches"]
    if mismatches:
        lines += ["", "Detected, but reported under another category:", ""]
        lines += [f"- {m['id']} ({m['split']}): labelled {m['category']}, reported {m['predicted']}: "
                  f"{_cell(m['text'])}" for m in mismatches]
    lines += [
        "",
        "## What is measured",
        "",
        "Every message was written for this project in patients' and caregivers' own words (typos, several",
        "topics in one message, answers typed in the middle of the pre-screening) before the patterns were",
        "written. Recall is the share of urgent messages detected; precision the share of detections that were",
        "urgent. A message counts as detected whatever category is reported; the category agreement is shown",
        "separately. Negations, past events, hypothetical and general questions about a symptom are labelled",
        "not urgent, unless the same message also reports a present symptom. The keyword baseline flags any",
        "symptom phrase of the same terms file and shows what the context rules add. The dev split was used",
        "while tuning the patterns; the test split was scored only afterwards. Both were written by the same",
        "team as the patterns, so they are weaker evidence than real patients' messages, and a hand-written",
        "set this size cannot prove that no urgent message is ever missed: the patterns only know the",
        "phrasings someone thought of. Detection time excludes the one-off loading of the terms files.",
        "",
    ]
    path = Path(report_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_safety_evaluation(messages_path: str | Path = DEFAULT_MESSAGES, advice_path: str | Path = DEFAULT_ADVICE,
                          report_path: str | Path = DEFAULT_REPORT) -> int:
    """Evaluate both detectors, write the report; 0 when the urgent targets are met on both splits, else 1."""
    messages, questions = read_jsonl(messages_path), read_jsonl(advice_path)
    problems = check_messages(messages) + check_advice(questions)
    urgent = evaluate_urgent(messages)
    advice = evaluate_advice(questions)
    path = write_safety_report(urgent, advice, problems, report_path,
                               (Path(messages_path).name, Path(advice_path).name))
    met = targets_met(urgent) and not problems
    for split in SPLITS:
        c, a = urgent["by_split"][split], advice["by_split"][split]
        print(f"{split}: urgent recall {_pct(c.recall)}, precision {_pct(c.precision)}; "
              f"advice accuracy {_pct(a.accuracy)}")
    print(f"targets {'met' if met else 'NOT met'}; report: {path}")
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    """``python -m evaluation.safety``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=Path, default=DEFAULT_MESSAGES)
    parser.add_argument("--advice", type=Path, default=DEFAULT_ADVICE)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    args = parser.parse_args(argv)
    return run_safety_evaluation(args.messages, args.advice, args.report)


if __name__ == "__main__":
    raise SystemExit(main())
