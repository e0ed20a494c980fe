"""Choosing the refusal gate on evaluation data. A question is answered when its answer score, retrieval
confidence plus ``domain_weight`` × domain probability (``knowledge.answer.answer_score``), reaches
``min_score``. The pair is chosen to answer the most gold questions correctly while declining a target share
of the out-of-scope set, counted so that it holds for new out-of-scope questions (``declining_threshold``)."""

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


def declining_threshold(oos_scores: np.ndarray, target_declined: float) -> float:
    """The lowest score threshold (to 4 decimals) above the ⌈(n + 1) × target⌉-th smallest of ``n``
    out-of-scope scores. Declining that many of the ``n`` (not just ⌈n × target⌉) is the split-conformal
    quantile: a new out-of-scope question like these is then declined with probability at least ``target``,
    where the plain share of the calibration set overstates what new questions get."""
    needed = int(np.ceil((len(oos_scores) + 1) * target_declined - 1e-9))
    ordered = np.sort(np.asarray(oos_scores, dtype=float))
    if needed <= 0 or not len(ordered):
        return 0.0
    highest_declined = ordered[min(needed, len(ordered)) - 1]
    return float(np.round(highest_declined, 4) + 1e-4)


def choose_thresholds(gold_confidence: Sequence[float], gold_domain: Sequence[float], gold_correct: Sequence[bool],
                      oos_confidence: Sequence[float], oos_domain: Sequence[float], target_declined: float
                      ) -> Thresholds:
    """For each domain weight, the declining threshold for the out-of-scope set (``declining_threshold``);
    of those, the one with the most correct gold answers, then the most answered, then the lower weight."""
    gc, gd, ok = np.asarray(gold_confidence), np.asarray(gold_domain), np.asarray(gold_correct, dtype=bool)
    oc, od = np.asarray(oos_confidence), np.asarray(oos_domain)
    best: tuple[tuple[int, int], Thresholds] | None = None
    for weight in DOMAIN_WEIGHTS:
        min_score = declining_threshold(answer_score(oc, od, weight), target_declined)
        answered = answer_score(gc, gd, weight) >= min_score
        key = (int((answered & ok).sum()), int(answered.sum()))
        if best is None or key > best[0]:
            best = (key, Thresholds(min_score, float(weight)))
    assert best is not None
    return best[1]


def write_calibration(path: Path, thresholds: Thresholds, note: dict) -> None:
    data = {"min_score": thresholds.min_score, "domain_weight": thresholds.domain_weight, **note}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
