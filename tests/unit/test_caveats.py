"""Caveats: a section's caveat sentence is shown with every answer taken from that section, in reading order and
within the length limit; bad files are named; a caveat that no longer matches is left out, not fatal; the
shipped caveats match the shipped documents."""

import logging
from pathlib import Path

import pytest
from textembedder import HashingEmbedder
from trialfiles import write_trial

from knowledge.anticipated import locate
from knowledge.build import build_index
from knowledge.caveats import caveat_paths, load_caveats
from knowledge.chunking import chunk_documents
from knowledge.documents import document_from_markdown, trial_document_paths
from knowledge.errors import KnowledgeError
from knowledge.retriever import Retriever
from trialbot.settings import KnowledgeSettings

pytestmark = pytest.mark.unit

TRIAL = "NCT00000005"
DOC = """---
trial_id: NCT00000005
title: "Demo"
section: "Demo"
version: "1"
---
## Can I join after drug X?
The trial's two sources disagree about drug X, so only the trial team can decide.
The registry lists every earlier topoisomerase drug as a reason to exclude.
Drug X is given as tablets and is a small molecule.
The summary page says people who took drug X seem able to join.

## Where is the hospital?
The hospital is in the capital, near the central station.
"""
QUESTIONS = """
- section: "Can I join after drug X?"
  answer: "seem able to join"
  questions: ["can people who took drug x join"]
- section: "Where is the hospital?"
  answer: "central station"
  questions: ["where is the hospital"]
"""
CAVEATS = """
- document: 01-demo
  section: "Can I join after drug X?"
  sentence: "sources disagree about drug X"
"""
QUESTION = "does the summary page say people who took drug x seem able to join"


def retriever_for(settings: KnowledgeSettings) -> Retriever:
    build_index(settings, embedder_factory=lambda _name: HashingEmbedder())
    return Retriever.from_settings(settings, embedder=HashingEmbedder(), thresholds=(-1.0, 0.0))


@pytest.fixture()
def settings(tmp_path: Path) -> KnowledgeSettings:
    return write_trial(tmp_path, TRIAL, DOC, QUESTIONS, adaptation_epochs=0)


def test_an_answer_from_a_section_always_shows_its_caveat_first(settings: KnowledgeSettings) -> None:
    without = retriever_for(settings).ask(QUESTION)
    body = without.answer.split("\n")[0]
    assert "seem able to join" in body and "disagree" not in body  # the misleading half alone

    (settings.docs_dir / TRIAL / "caveats.yml").write_text(CAVEATS)
    body = retriever_for(settings).ask(QUESTION).answer.split("\n")[0]
    assert body.startswith("The trial's two sources disagree about drug X, so only the trial team can decide. ")
    assert body.endswith("The summary page says people who took drug X seem able to join.")
    assert len(body) <= 400 and body.count(". ") <= 2  # still at most three sentences

    other = retriever_for(settings).ask("where is the hospital near the central station").answer
    assert "disagree" not in other  # only answers from that section carry it


def test_a_caveat_that_no_longer_matches_is_left_out_with_a_warning(settings: KnowledgeSettings, caplog) -> None:
    (settings.docs_dir / TRIAL / "caveats.yml").write_text(CAVEATS.replace("sources disagree", "sources agree"))
    with caplog.at_level(logging.WARNING, logger="knowledge.caveats"):
        retriever = retriever_for(settings)
    assert retriever.links.caveats == {}
    assert "caveat left out: caveats.yml: 'Can I join after drug X?' / 'sources agree about drug X': no sentence" in (
        caplog.text)
    assert "seem able to join" in retriever.ask(QUESTION).answer


@pytest.mark.parametrize("text", ["{not: a list}", "- document: 01-demo\n  section: Where?\n",
                                  "- [broken", "- document: ''\n  section: a\n  sentence: b\n"])
def test_a_malformed_caveats_file_is_named(settings: KnowledgeSettings, text: str) -> None:
    path = settings.docs_dir / TRIAL / "caveats.yml"
    path.write_text(text)
    with pytest.raises(KnowledgeError, match="caveats.yml"):
        load_caveats(caveat_paths(settings.docs_dir))


def test_the_shipped_caveats_each_match_one_sentence_of_their_section() -> None:
    docs_dir = KnowledgeSettings().docs_dir
    documents = [document_from_markdown(p.read_text(encoding="utf-8"), p.name) for p in trial_document_paths(docs_dir)]
    chunks = chunk_documents(documents, KnowledgeSettings().chunk_max_chars)
    caveats = load_caveats(caveat_paths(docs_dir))
    found, problems = locate(caveats, chunks)
    assert problems == [] and len(found) == len(caveats) >= 2
    sentences = [s for c in chunks for s in c.sentences]
    assert any("contradicts itself" in sentences[row] for _, row in found)
