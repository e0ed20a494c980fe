"""Answers show one to three sentences out of their document, so no sentence of a trial document may point at
another part of the document ("explained in the next section", "the numbers below"): shown alone, it would
send the patient somewhere they cannot see."""

from __future__ import annotations

import re

import pytest

from knowledge.build import collect_documents
from knowledge.chunking import chunk_documents
from trialbot.settings import KnowledgeSettings

# "above" only as a place in the text ("see above", "listed above"), not "above 38.5°C"
POINTS_ELSEWHERE = re.compile(
    r"\b(?:next|previous|following|preceding|later|earlier) section\b|\bsection (?:above|below)\b"
    r"|\b(?:see|listed|shown|described|explained|mentioned|as) (?:above|below)\b|\bbelow\b(?! \d)"
    r"|\bthe (?:numbers|list|table|items) (?:above|below)\b",
    re.IGNORECASE,
)


def document_sentences() -> list[tuple[str, str]]:
    """(document, sentence) for every sentence the index holds, split as answers show them."""
    settings = KnowledgeSettings()
    chunks = chunk_documents(collect_documents(settings)[0], settings.chunk_max_chars)
    return [(chunk.source, sentence) for chunk in chunks for sentence in chunk.sentences]


def test_the_trial_documents_are_read():
    assert len(document_sentences()) > 300


@pytest.mark.parametrize("sentence", [
    "Earlier irinotecan is an open question, explained in the next section.",
    "The numbers below follow the order of the registry list.",
    "These limits are listed above.",
    "See the section above for details.",
])
def test_the_check_finds_a_sentence_that_points_elsewhere(sentence: str):
    assert POINTS_ELSEWHERE.search(sentence)


@pytest.mark.parametrize("sentence", [
    "An unexplained fever above 38.5°C before the first dose rules a patient out.",
    "A platelet count below 100×10⁹/L rules a patient out.",
    "In NEC, the Ki-67 index is above 20% (Ki-67 > 20%).",
])
def test_the_check_leaves_figures_alone(sentence: str):
    assert not POINTS_ELSEWHERE.search(sentence)


def test_no_document_sentence_points_at_another_part_of_its_document():
    offending = [f"{name}: {sentence}" for name, sentence in document_sentences() if POINTS_ELSEWHERE.search(sentence)]
    assert offending == []
