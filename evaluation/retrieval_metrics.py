"""Retrieval and answer metrics over one system's outputs (pure functions, no model)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluation.datasets import GoldQuestion

SECTION_SEPARATOR = " › "


@dataclass
class SystemOutput:
    """What one system returned for one question: ranked (source, section) pairs and the answer."""

    ranked: list[tuple[str, str]]
    answer: str
    body: str
    confident: bool
    confidence: float
    domain: float


def is_relevant(gold: GoldQuestion, source: str, section: str) -> bool:
    """A passage is relevant when it is the expected document's expected ``##`` section."""
    return Path(source).stem == gold.expected_doc and gold.expected_section in section.split(SECTION_SEPARATOR)


def first_relevant_rank(gold: GoldQuestion, ranked: Sequence[tuple[str, str]],
                        section_texts: dict[tuple[str, str], str] | None = None) -> int | None:
    """Rank of the first relevant passage: the expected section or, when ``section_texts`` is given,
    any other section whose whole text holds every key fact (the documents repeat some facts)."""
    for rank, (source, section) in enumerate(ranked, start=1):
        if is_relevant(gold, source, section):
            return rank
        if section_texts is not None and holds_facts(gold, section_texts.get((source, section), "")):
            return rank
    return None


def holds_facts(gold: GoldQuestion, text: str) -> bool:
    lowered = text.lower()
    return all(fact.lower() in lowered for fact in gold.key_facts)


def summarize(golds: Sequence[GoldQuestion], outputs: Sequence[SystemOutput],
              out_of_scope: Sequence[SystemOutput], section_texts: dict[tuple[str, str], str] | None = None
              ) -> dict[str, float]:
    """Recall@1/3/5 and MRR (expected section), Recall@3 with any fact-holding section counted,
    answered rate, facts rate (over all questions), median answer length, and the refusal rate on
    the out-of-scope set."""
    ranks = [first_relevant_rank(g, o.ranked) for g, o in zip(golds, outputs, strict=True)]
    lenient = [first_relevant_rank(g, o.ranked, section_texts or {}) for g, o in zip(golds, outputs, strict=True)]
    n = len(golds)
    answered = [o for o in outputs if o.confident]
    return {
        "recall@1": sum(1 for r in ranks if r and r <= 1) / n,
        "recall@3": sum(1 for r in ranks if r and r <= 3) / n,
        "recall@5": sum(1 for r in ranks if r and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "recall@3_any_fact_section": sum(1 for r in lenient if r and r <= 3) / n,
        "answered": len(answered) / n,
        "facts": sum(1 for g, o in zip(golds, outputs, strict=True) if o.confident and holds_facts(g, o.body)) / n,
        "median_answer_chars": statistics.median(len(o.body) for o in answered) if answered else 0.0,
        "oos_declined": sum(1 for o in out_of_scope if not o.confident) / max(1, len(out_of_scope)),
    }
