"""The refusal gate is chosen on evaluation data: the score threshold and domain weight that answer the most
gold questions correctly while declining the target share of the out-of-scope set (counted conformally)."""

import json

import numpy as np
import pytest

from evaluation.calibration import Thresholds, apply, choose_thresholds, declining_threshold, write_calibration
from knowledge.answer import answer_score

pytestmark = pytest.mark.unit


def test_the_domain_weight_is_used_when_confidence_alone_cannot_separate():
    # Off-topic questions with high confidence but low domain probability, trial questions the other way round.
    gold_conf, gold_dom = [0.9, 0.8, 1.0, 0.7], [0.9, 0.95, 0.8, 0.9]
    oos_conf, oos_dom = [1.0, 0.95, 0.9, 0.3], [0.05, 0.1, 0.1, 0.2]
    chosen = choose_thresholds(gold_conf, gold_dom, [True] * 4, oos_conf, oos_dom, target_declined=1.0)
    assert chosen.domain_weight > 0
    assert apply(chosen, np.array(gold_conf), np.array(gold_dom)).all()
    assert not apply(chosen, np.array(oos_conf), np.array(oos_dom)).any()


def test_the_threshold_declines_the_conformal_share_of_the_out_of_scope_set():
    gold_conf, gold_dom = [0.5, 0.88, 0.92, 0.97], [1.0] * 4
    oos_conf, oos_dom = list(np.linspace(0.0, 0.95, 20)), [1.0] * 20  # 0.0, 0.05, … 0.95
    chosen = choose_thresholds(gold_conf, gold_dom, [False, True, True, True], oos_conf, oos_dom, 0.9)
    answered_oos = apply(chosen, np.array(oos_conf), np.array(oos_dom))
    # ⌈(20 + 1) × 0.9⌉ = 19 declined, where the plain share would stop at ⌈20 × 0.9⌉ = 18 (answering 0.88)
    assert answered_oos.sum() == 1 and answered_oos[-1]
    assert apply(chosen, np.array(gold_conf), np.array(gold_dom)).tolist() == [False, False, True, True]


@pytest.mark.parametrize("count, target, declined", [(10, 0.9, 10), (19, 0.9, 18), (99, 0.95, 95), (170, 0.97, 166)])
def test_the_declining_threshold_counts_one_more_question_than_the_set_has(count, target, declined):
    scores = np.arange(count, dtype=float) / count
    threshold = declining_threshold(scores, target)
    assert int((scores < threshold).sum()) == declined
    assert declined == min(count, int(np.ceil((count + 1) * target)))


def test_the_lowest_such_threshold_is_chosen_so_gold_just_above_it_is_answered():
    gold_conf, gold_dom = [0.5, 0.6, 0.7, 0.8], [1.0] * 4
    oos_conf, oos_dom = [0.1, 0.2, 0.3, 0.4, 0.55, 0.65], [1.0] * 6  # ⌈7 × 0.85⌉ = 6: all six declined
    chosen = choose_thresholds(gold_conf, gold_dom, [True] * 4, oos_conf, oos_dom, 0.85)
    assert apply(chosen, np.array(gold_conf), np.array(gold_dom)).tolist() == [False, False, True, True]
    assert chosen.min_score == pytest.approx(0.6501 + chosen.domain_weight, abs=1e-4)


def test_an_impossible_target_declines_everything():
    chosen = choose_thresholds([0.5], [0.5], [True], [0.9], [0.9], target_declined=1.0)
    assert not apply(chosen, np.array([0.5, 0.9]), np.array([0.5, 0.9])).any()


def test_the_product_gate_and_the_written_calibration_agree(tmp_path):
    assert answer_score(0.5, 0.25, 2.0) == pytest.approx(1.0)
    path = tmp_path / "calibration.json"
    write_calibration(path, Thresholds(1.25, 0.4), {"set_on": "test"})
    assert json.loads(path.read_text()) == {"min_score": 1.25, "domain_weight": 0.4, "set_on": "test"}
