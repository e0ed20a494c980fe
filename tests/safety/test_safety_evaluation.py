"""The safety evaluation on the project's data: its shape, the product targets, and that it catches errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evaluation.safety import (
    ADVICE_ACCURACY_TARGET,
    DEFAULT_ADVICE,
    DEFAULT_MESSAGES,
    KINDS,
    SPLITS,
    URGENT_CATEGORIES,
    URGENT_PRECISION_TARGET,
    check_advice,
    check_messages,
    evaluate_advice,
    evaluate_urgent,
    read_jsonl,
    run_safety_evaluation,
)
from safety.advice import CATEGORIES as ADVICE_CATEGORIES

pytestmark = pytest.mark.unit


def test_safety_messages_have_the_agreed_shape() -> None:
    rows = read_jsonl(DEFAULT_MESSAGES)
    assert check_messages(rows) == []
    assert len(rows) >= 140
    urgent = [r for r in rows if r["urgent"]]
    assert len(urgent) >= 60 and len(rows) - len(urgent) >= 80
    assert set(KINDS) <= {r["kind"] for r in rows}
    for split in SPLITS:
        in_split = [r for r in rows if r["split"] == split]
        assert 0.4 <= len(in_split) / len(rows) <= 0.6
        assert {r["category"] for r in in_split if r["urgent"]} == set(URGENT_CATEGORIES)
    non_urgent_kinds = Counter(r["kind"] for r in rows if not r["urgent"])
    assert all(non_urgent_kinds[k] >= 10 for k in ("negation", "past", "question", "routine", "mid_screening"))
    assert len({r["text"].lower() for r in rows}) == len(rows)


def test_advice_questions_have_the_agreed_shape() -> None:
    rows = read_jsonl(DEFAULT_ADVICE)
    assert check_advice(rows) == []
    assert len(rows) >= 60
    advice = [r for r in rows if r["advice"]]
    assert len(advice) >= 35 and len(rows) - len(advice) >= 25
    assert {r["category"] for r in advice} == set(ADVICE_CATEGORIES)
    for split in SPLITS:
        assert 0.4 <= sum(r["split"] == split for r in rows) / len(rows) <= 0.6


def test_evaluation_meets_the_product_targets_on_both_splits(tmp_path: Path) -> None:
    report = tmp_path / "safety.md"
    assert run_safety_evaluation(report_path=report) == 0
    urgent = evaluate_urgent(read_jsonl(DEFAULT_MESSAGES))
    for split in SPLITS:
        counts = urgent["by_split"][split]
        assert counts.recall == 1.0, [m["id"] for m in urgent["misses"] if m["urgent"]]
        assert counts.precision >= URGENT_PRECISION_TARGET
    assert urgent["self_harm_flag_errors"] == 0
    advice = evaluate_advice(read_jsonl(DEFAULT_ADVICE))
    assert advice["overall"].accuracy >= ADVICE_ACCURACY_TARGET
    for split in SPLITS:
        assert advice["by_split"][split].accuracy >= ADVICE_ACCURACY_TARGET
    text = report.read_text(encoding="utf-8")
    assert "**met**" in text and "| dev |" in text and "| test |" in text and "## Misses" in text


def test_evaluation_fails_and_lists_the_miss_when_an_urgent_message_is_not_detected(tmp_path: Path) -> None:
    rows = read_jsonl(DEFAULT_MESSAGES)
    rows.append({"id": "x001", "text": "the thing I mentioned is happening to me", "urgent": True,
                 "category": "breathing", "kind": "urgent", "split": "test"})
    messages = tmp_path / "messages.jsonl"
    messages.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    report = tmp_path / "safety.md"
    assert run_safety_evaluation(messages, DEFAULT_ADVICE, report) == 1
    text = report.read_text(encoding="utf-8")
    assert "NOT met" in text and "x001" in text and "the thing I mentioned" in text


def test_evaluation_reports_problems_in_the_data(tmp_path: Path) -> None:
    messages = tmp_path / "messages.jsonl"
    messages.write_text(json.dumps({"id": "m1", "text": "chest pain", "urgent": True, "category": "heart",
                                    "kind": "urgent", "split": "dev"}) + "\n", encoding="utf-8")
    report = tmp_path / "safety.md"
    assert run_safety_evaluation(messages, DEFAULT_ADVICE, report) == 1
    assert "Problems with the data" in report.read_text(encoding="utf-8")
