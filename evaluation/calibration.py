"""Choosing the refusal thresholds on evaluation data: the pair (retrieval confidence, domain
probability) that answers the most gold questions correctly while declining at least a target share
of the out-of-scope set."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Thresholds:
    min_confidence: float
    min_domain: float


def apply(thresholds: Thresholds, confidence: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """Which questions are answered under these thresholds."""
    return (confidence >= thresholds.min_confidence) & (domain >= thresholds.min_domain)


def choose_thresholds(gold_confidence: Sequence[float], gold_domain: Sequence[float], gold_correct: Sequence[bool],
                      oos_confidence: Sequence[float], oos_domain: Sequence[float], target_declined: float
                      ) -> Thresholds:
    """Grid search: maximise correct gold answers, then answered gold, subject to the refusal target."""
    gc, gd, ok = np.asarray(gold_confidence), np.asarray(gold_domain), np.asarray(gold_correct, dtype=bool)
    oc, od = np.asarray(oos_confidence), np.asarray(oos_domain)
    confidence_grid = np.unique(np.round(np.concatenate([[0.0], oc, gc]), 4))
    domain_grid = np.round(np.arange(0.0, 1.0001, 0.01), 2)
    best: tuple[tuple[int, int, float], Thresholds] | None = None
    for min_domain in domain_grid:
        for min_confidence in confidence_grid:
            thresholds = Thresholds(float(min_confidence), float(min_domain))
            declined = 1.0 - apply(thresholds, oc, od).mean() if len(oc) else 1.0
            if declined < target_declined:
                continue
            answered = apply(thresholds, gc, gd)
            key = (int((answered & ok).sum()), int(answered.sum()), declined)
            if best is None or key > best[0]:
                best = (key, thresholds)
            break  # higher confidence thresholds at this domain level only answer fewer
    if best is None:
        return Thresholds(float(confidence_grid[-1]) + 1.0, 1.0)
    return best[1]


def write_calibration(path: Path, thresholds: Thresholds, note: dict) -> None:
    data = {"min_confidence": thresholds.min_confidence, "min_domain": thresholds.min_domain, **note}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
