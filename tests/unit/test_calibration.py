"""The refusal gate is chosen on evaluation data: the score threshold and domain weight that answer the most
gold questions correctly while declining the target share of the out-of-scope set."""

import json

import numpy as np
import pytest

from evaluation.calibration import Thresholds, apply, choose_thresholds, write_calibration
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


def test_the_lowest_threshold_that_declines_the_target_share_is_chosen():
    gold_conf, gold_dom = [0.5, 0.6, 0.7, 0.8], [1.0] * 4
    oos_conf, oos_dom = list(np.linspace(0.0, 0.75, 10)), [1.0] * 10
    chosen = choose_thresholds(gold_conf, gold_dom, [False, True, True, True], oos_conf, oos_dom, 0.9)
    declined = 1 - apply(chosen, np.array(oos_conf), np.array(oos_dom)).mean()
    assert declined >= 0.9
    # the ninth out-of-scope score (0.667) is the highest that must be declined: gold 0.7 is still answered
    answered = apply(chosen, np.array(gold_conf), np.array(gold_dom))
    assert answered.tolist() == [False, False, True, True]


def test_an_impossible_target_declines_everything():
    chosen = choose_thresholds([0.5], [0.5], [True], [0.9], [0.9], target_declined=1.0)
    assert not apply(chosen, np.array([0.5, 0.9]), np.array([0.5, 0.9])).any()


def test_the_product_gate_and_the_written_calibration_agree(tmp_path):
    assert answer_score(0.5, 0.25, 2.0) == pytest.approx(1.0)
    path = tmp_path / "calibration.json"
    write_calibration(path, Thresholds(1.25, 0.4), {"set_on": "test"})
    assert json.loads(path.read_text()) == {"min_score": 1.25, "domain_weight": 0.4, "set_on": "test"}
