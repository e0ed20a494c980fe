"""Reciprocal rank fusion of ranked lists."""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = 60, weights: Sequence[float] | None = None
                           ) -> list[tuple[int, float]]:
    """Fuse ranked lists of ids into ``[(id, score)]`` best first; score = sum of w / (k + rank)."""
    if k <= 0:
        raise ValueError("k must be positive")
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
