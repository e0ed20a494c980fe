"""Choosing the refusal gate on evaluation data. A question is answered when its answer score, retrieval
confidence plus ``domain_weight`` × domain probability (``knowledge.answer.answer_score``), reaches
``min_score``. The pair is chosen to answer the most gold questions correctly while declining at least a
target share of the out-of-scope set."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.answer import answer_score

DOMAIN_WEIGHTS = np.round(np.arange(0.0, 3.0001, 0.1), 2)


@dataclass(frozen=True)
class Thresholds:
    min_score: float
    domain_weight: float


def apply(thresholds: Thresholds, confidence: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """Which questions are answered under this gate."""
    return answer_score(np.asarray(confidence), np.asarray(domain), thresholds.domain_weight) >= thresholds.min_score


def choose_thresholds(gold_confidence: Sequence[float], gold_domain: Sequence[float], gold_correct: Sequence[bool],
                      oos_confidence: Sequence[float], oos_domain: Sequence[float], target_declined: float
                      ) -> Thresholds:
    """For each domain weight, the lowest score threshold that declines the target share of the out-of-scope
    set; of those, the one with the most correct gold answers, then the most answered."""
    gc, gd, ok = np.asarray(gold_confidence), np.asarray(gold_domain), np.asarray(gold_correct, dtype=bool)
    oc, od = np.asarray(oos_confidence), np.asarray(oos_domain)
    best: tuple[tuple[int, int, float], Thresholds] | None = None
    for weight in DOMAIN_WEIGHTS:
        gold_scores, oos_scores = answer_score(gc, gd, weight), answer_score(oc, od, weight)
        for min_score in np.unique(np.round(np.concatenate([[0.0], oos_scores, gold_scores]), 4)):
            thresholds = Thresholds(float(min_score), float(weight))
            declined = 1.0 - float(np.mean(oos_scores >= min_score)) if len(oc) else 1.0
            if declined < target_declined:
                continue
            answered = gold_scores >= min_score
            key = (int((answered & ok).sum()), int(answered.sum()), declined)
            if best is None or key > best[0]:
                best = (key, thresholds)
            break  # a higher threshold at this weight only answers fewer
    if best is None:
        return Thresholds(max([0.0, *oc, *gc]) + 1.0, 0.0)  # above every confidence: declines everything
    return best[1]


def write_calibration(path: Path, thresholds: Thresholds, note: dict) -> None:
    data = {"min_score": thresholds.min_score, "domain_weight": thresholds.domain_weight, **note}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
