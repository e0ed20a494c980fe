"""Answers show one to three sentences out of their document, so no sentence of a trial document may point at
another part of the document ("explained in the next section", "the numbers below"): shown alone, it would
send the patient somewhere they cannot see."""

from __future__ import annotations

import re

import pytest

from knowledge.documents import document_from_markdown, trial_document_paths
from knowledge.sentences import markdown_paragraphs, split_sentences
from trialbot.settings import KnowledgeSettings

# "above" only as a place in the text ("see above", "listed above"), not "above 38.5°C"
POINTS_ELSEWHERE = re.compile(
    r"\b(?:next|previous|following|preceding|later|earlier) section\b|\bsection (?:above|below)\b"
    r"|\b(?:see|listed|shown|described|explained|mentioned|as) (?:above|below)\b|\bbelow\b(?! \d)"
    r"|\bthe (?:numbers|list|table|items) (?:above|below)\b",
    re.IGNORECASE,
)


def document_sentences() -> list[tuple[str, str]]:
    sentences = []
    for path in trial_document_paths(KnowledgeSettings().docs_dir):
        body = document_from_markdown(path.read_text(encoding="utf-8"), path.name).body
        for paragraph in markdown_paragraphs(body):
            if not paragraph.text.lstrip().startswith("#"):
                sentences += [(path.name, sentence) for sentence in split_sentences(paragraph.text)]
    return sentences


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
