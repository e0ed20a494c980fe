"""The reader's verdicts on shown answers: counted only for the answer text they judged, compared with the strict
phrase match, and the shipped file covers every gold and held-out question once."""

import json
import re

import pytest

from evaluation.datasets import GOLD_PATH, HOLDOUT_PATH, GoldQuestion, load_gold
from evaluation.judged_facts import (
    JUDGMENTS_PATH,
    Judgment,
    answer_digest,
    judge_outputs,
    load_judgments,
    write_to_judge,
)
from evaluation.retrieval_metrics import SystemOutput

pytestmark = pytest.mark.unit


def gold(question_id: str, *facts: str) -> GoldQuestion:
    return GoldQuestion(question_id, "question?", "short", "03-inclusion-criteria", "Section", facts)


def output(body: str, confident: bool = True) -> SystemOutput:
    return SystemOutput([], body, body, confident, 1.0, 1.0)


def verdict(question_id: str, shown: SystemOutput, holds: bool) -> Judgment:
    return Judgment(question_id, answer_digest(shown), holds)


def test_a_paraphrase_the_reader_accepts_counts_and_is_listed_as_reader_only():
    golds = [gold("g1", "tumour tissue sample must be available"), gold("g2", "APTT")]
    outputs = [output("Every participant must provide a tumour tissue sample."), output("APTT must be normal.")]
    judged = judge_outputs(golds, outputs, {"g1": verdict("g1", outputs[0], True),
                                            "g2": verdict("g2", outputs[1], True)})
    assert (judged.judged, judged.holds, judged.not_judged) == (2, 2, 0)
    assert judged.judged_only == ("g1",) and judged.strict_only == ()
    assert judged.rate == 1.0


def test_a_verdict_for_another_answer_text_is_not_counted():
    golds = [gold("g1", "APTT")]
    judged_then = output("APTT must be at most 1.5 times ULN.")
    shown_now = output("Screening includes blood clotting tests.")
    judged = judge_outputs(golds, [shown_now], {"g1": verdict("g1", judged_then, True)})
    assert (judged.judged, judged.holds, judged.not_judged) == (0, 0, 1)
    assert judged.rate == 0.0
    assert [row["answer"] for row in judged.to_judge] == ["Screening includes blood clotting tests."]


def test_the_reader_rejecting_a_phrase_match_is_listed_as_strict_only():
    golds = [gold("g1", "50%")]
    outputs = [output("Up to 50% of the cost is not covered.")]
    judged = judge_outputs(golds, outputs, {"g1": verdict("g1", outputs[0], False)})
    assert (judged.holds, judged.strict_only, judged.judged_only) == (0, ("g1",), ())


def test_a_declined_question_never_holds_the_facts_whatever_its_verdict():
    golds = [gold("g1", "APTT")]
    declined = output("I'm sorry, I can't answer that reliably.", confident=False)
    judged = judge_outputs(golds, [declined], {"g1": verdict("g1", declined, True)})
    assert (judged.judged, judged.holds) == (1, 0)


def test_an_absent_file_gives_no_verdicts(tmp_path):
    assert load_judgments(tmp_path / "none.jsonl") == {}


def test_the_shipped_verdicts_cover_every_gold_and_held_out_question_once():
    ids = [g.id for path in (GOLD_PATH, HOLDOUT_PATH) for g in load_gold(path)]
    lines = [line for line in JUDGMENTS_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    judgments = load_judgments()
    assert len(lines) == len(judgments) == len(ids)
    assert set(judgments) == set(ids)
    assert all(re.fullmatch(r"[0-9a-f]{64}", j.answer_sha256) for j in judgments.values())
    assert all(j.missing for j in judgments.values() if not j.holds)


def test_answers_without_a_current_verdict_are_written_out_to_be_judged(tmp_path):
    golds = [gold("g1", "APTT"), gold("g2", "LVEF")]
    outputs = [output("APTT must be normal."), output("The LVEF must be at least 50%.")]
    judged = judge_outputs(golds, outputs, {"g1": verdict("g1", outputs[0], True)})
    path = tmp_path / "to_judge.jsonl"
    assert write_to_judge(path, judged) == 1
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"id": "g2", "question": "question?", "key_facts": ["LVEF"],
                     "answer": "The LVEF must be at least 50%.", "answer_sha256": answer_digest(outputs[1])}]
    everything = judge_outputs(golds[:1], outputs[:1], {"g1": verdict("g1", outputs[0], True)})
    assert write_to_judge(path, everything) == 0 and path.read_text(encoding="utf-8") == ""
