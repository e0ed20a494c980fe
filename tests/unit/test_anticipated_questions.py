"""Anticipated questions: the files load and resolve to one answering sentence each, bad entries are named,
the index stores them with the section classifier, and a change to them rebuilds the index."""

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from textembedder import HashingEmbedder
from trialfiles import write_trial

from knowledge import index_store
from knowledge.anticipated import (
    answer_spans,
    load_answer_spans,
    load_entries,
    question_paths,
    resolve,
    uncovered_sections,
)
from knowledge.build import build_index
from knowledge.chunking import chunk_documents
from knowledge.documents import document_from_markdown, trial_document_paths
from knowledge.errors import IndexCorruptError, KnowledgeError
from knowledge.index_store import load_index
from knowledge.retriever import Retriever
from knowledge.section_classifier import SectionClassifier, train_section_classifier
from knowledge.sentence_classifier import SentenceClassifier, train_sentence_classifier
from trialbot.settings import KnowledgeSettings

pytestmark = pytest.mark.unit

DOC = """---
trial_id: NCT00000003
title: "Demo"
section: "Demo"
version: "1"
---
## How is the drug given?
The drug is given as an infusion into a vein. Each infusion takes about one hour.

## Who pays?
The sponsor pays for the study drug. Travel is the patient's own cost.
"""

QUESTIONS = """
- section: "How is the drug given?"
  answer: "infusion into a vein"
  questions: ["is it a tablet or a drip", "how do they give it"]
- section: "Who pays?"
  answer: "sponsor pays"
  questions: ["do i pay for the medicine", "is the drug free"]
- section: "Who pays?"
  answer: "own cost"
  questions: ["who pays for my flights"]
"""


@pytest.fixture()
def settings(tmp_path: Path) -> KnowledgeSettings:
    return write_trial(tmp_path, "NCT00000003", DOC, QUESTIONS)


def chunks_of(settings: KnowledgeSettings):
    documents = [document_from_markdown(p.read_text(), p.name) for p in trial_document_paths(settings.docs_dir)]
    return chunk_documents(documents, settings.chunk_max_chars)


def test_entries_resolve_to_the_sentence_that_answers_them(settings: KnowledgeSettings):
    entries = load_entries(question_paths(settings.docs_dir))
    assert [e.document for e in entries] == ["01-demo"] * 3 and entries[0].trial_id == "NCT00000003"
    chunks = chunks_of(settings)
    sentences = [s for c in chunks for s in c.sentences]
    pairs, problems = resolve(entries, chunks)
    assert problems == []
    assert {q: sentences[row] for q, row in pairs} == {
        "is it a tablet or a drip": "The drug is given as an infusion into a vein.",
        "how do they give it": "The drug is given as an infusion into a vein.",
        "do i pay for the medicine": "The sponsor pays for the study drug.",
        "is the drug free": "The sponsor pays for the study drug.",
        "who pays for my flights": "Travel is the patient's own cost.",
    }
    assert uncovered_sections(pairs, chunks) == []
    assert uncovered_sections(pairs[:2], chunks) == [("NCT00000003", "01-demo", "Demo › Who pays?")]


@pytest.mark.parametrize("answer, reason", [("no such words", "no sentence"), ("the", "2 sentences")])
def test_an_anchor_must_name_exactly_one_sentence_of_its_section(settings: KnowledgeSettings, answer: str,
                                                                  reason: str):
    path = question_paths(settings.docs_dir)[0]
    path.write_text(f'- section: "Who pays?"\n  answer: "{answer}"\n  questions: ["who pays"]\n')
    pairs, problems = resolve(load_entries([path]), chunks_of(settings))
    assert pairs == [] and len(problems) == 1 and reason in problems[0] and "01-demo.yml" in problems[0]


def test_an_anchor_in_another_section_does_not_resolve(settings: KnowledgeSettings):
    path = question_paths(settings.docs_dir)[0]
    path.write_text('- section: "Who pays?"\n  answer: "infusion into a vein"\n  questions: ["how"]\n')
    assert "no sentence" in resolve(load_entries([path]), chunks_of(settings))[1][0]


@pytest.mark.parametrize("text", ["{not: [a list", "- section: 'Who pays?'\n  answer: sponsor\n",
                                  "- section: 'Who pays?'\n  answer: sponsor\n  questions: []\n", "just text"])
def test_a_malformed_file_is_named_in_the_error(tmp_path: Path, text: str):
    path = tmp_path / "02-bad.yml"
    path.write_text(text)
    with pytest.raises(KnowledgeError, match="02-bad.yml"):
        load_entries([path])


def test_the_index_stores_the_questions_and_the_section_and_sentence_classifiers(settings: KnowledgeSettings):
    build_index(settings, embedder_factory=lambda _name: HashingEmbedder())
    index = load_index(settings.index_dir)
    assert index.manifest["anticipated_questions"] == 5
    assert index.anticipated_vectors.shape == (5, 64)
    assert sorted(set(index.anticipated_rows.tolist())) == [0, 2, 3]
    assert index.sections is not None and len(index.sections.chunk_classes) == len(index.chunks)
    assert index.sentence_classifier is not None and index.sentence_classifier.rows.tolist() == [0, 2, 3]
    assert "sentence_classes.npz" in index.manifest["files"]
    retriever = Retriever.from_settings(settings, embedder=HashingEmbedder(), thresholds=(-1.0, 0.0))
    # No word of this question is in the documents; only its anticipated twin leads to the answer.
    answer = retriever.ask("is it a tablet or a drip")
    assert answer.answer.startswith("The drug is given as an infusion into a vein.")
    assert answer.citations[0].section.endswith("How is the drug given?")


def test_changed_questions_rebuild_the_index_and_a_corrupt_store_is_refused(settings: KnowledgeSettings):
    def build():
        return build_index(settings, embedder_factory=lambda _name: HashingEmbedder())

    assert build().rebuilt and not build().rebuilt
    question_paths(settings.docs_dir)[0].write_text(QUESTIONS.replace("is the drug free", "is it free"))
    assert build().rebuilt
    stored = settings.index_dir / "anticipated.npz"
    stored.write_bytes(stored.read_bytes()[:40])
    with pytest.raises(IndexCorruptError, match="trialbot index"):
        load_index(settings.index_dir)


@pytest.mark.parametrize("stored_name, classifier_type", [("sentence_classes.npz", SentenceClassifier),
                                                          ("sections.npz", SectionClassifier)])
def test_a_classifier_whose_shape_disagrees_with_the_index_is_refused(settings: KnowledgeSettings,
                                                                       stored_name: str, classifier_type):
    build_index(settings, embedder_factory=lambda _name: HashingEmbedder())
    path = settings.index_dir / stored_name
    stored = classifier_type.load(path)
    dataclasses.replace(stored, weights=stored.weights[:1], bias=stored.bias[:1]).save(path)  # one class row
    manifest_path = settings.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][stored_name] = index_store._file_digest(settings.index_dir, stored_name)  # hash matches
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="disagree"):
        load_index(settings.index_dir)


def test_the_sentence_classifier_ranks_but_never_raises_the_refusal_confidence(settings: KnowledgeSettings):
    build_index(settings, embedder_factory=lambda _name: HashingEmbedder())
    retriever = Retriever.from_settings(settings, embedder=HashingEmbedder(), thresholds=(-1.0, 0.0))
    result = retriever.searcher.query("who pays for my flights")
    added = result.sentence_scores - result.evidence_scores
    assert added.argmax() == 3 and added[1] == 0.0  # row 1 has no anticipated questions
    assert added.sum() == pytest.approx(retriever.searcher.weights.sentence, rel=1e-5)  # weight × a softmax
    answer = retriever.ask("who pays for my flights")
    assert len(result.hits) == 2  # both chunks are among the top three hits that confidence looks at
    assert answer.confidence == pytest.approx(float(result.evidence_scores.max()), rel=1e-6)
    assert answer.confidence < float(result.sentence_scores.max()) - 0.5


def test_the_sentence_classifier_learns_answers_from_questions():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 8))
    vectors = np.vstack([centres[i] + 0.1 * rng.normal(size=(10, 8)) for i in range(3)])
    classifier = train_sentence_classifier(vectors, np.repeat([4, 9, 7], 10))
    assert classifier is not None and classifier.rows.tolist() == [4, 7, 9]
    probabilities = classifier.row_probabilities(centres[1], 12)
    assert probabilities.argmax() == 9 and probabilities[9] > 0.9
    assert probabilities.sum() == pytest.approx(1.0) and probabilities[[0, 1, 2, 3, 5, 6, 8, 10, 11]].sum() == 0
    assert train_sentence_classifier(vectors, np.full(30, 4)) is None


def test_the_section_classifier_learns_sections_from_questions(settings: KnowledgeSettings):
    chunks = chunks_of(settings)  # two sections, one chunk each
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2, 8))
    vectors = np.vstack([centres[i] + 0.1 * rng.normal(size=(10, 8)) for i in (0, 1)])
    classifier = train_section_classifier(vectors, np.repeat([0, 1], 10), chunks)
    assert classifier is not None
    assert classifier.chunk_probabilities(centres[1]).argmax() == 1
    assert classifier.chunk_probabilities(centres[0])[0] > 0.9
    assert train_section_classifier(vectors, np.zeros(20, dtype=int), chunks) is None


def test_the_shipped_questions_resolve_and_cover_every_section(knowledge_settings: KnowledgeSettings):
    entries = load_entries(question_paths(knowledge_settings.docs_dir))
    chunks = chunks_of(knowledge_settings)
    pairs, problems = resolve(entries, chunks)
    assert problems == []
    assert len(pairs) >= 1500
    assert uncovered_sections(pairs, chunks) == []
    spans, span_problems = answer_spans(entries, chunks)
    assert span_problems == [] and len(spans) >= 100


SPAN_DOC = DOC.replace("Each infusion takes about one hour.",
                       "Each infusion takes about one hour. Nurses watch every patient. It is repeated every 3 weeks.")


def test_a_span_names_the_other_sentences_a_complete_answer_needs(tmp_path: Path):
    questions = QUESTIONS.replace('answer: "infusion into a vein"',
                                  'answer: "infusion into a vein"\n  with: ["every 3 weeks"]')
    settings = write_trial(tmp_path, "NCT00000003", SPAN_DOC, questions)
    chunks = chunks_of(settings)
    sentences = [s for c in chunks for s in c.sentences]
    spans, problems = answer_spans(load_entries(question_paths(settings.docs_dir)), chunks)
    assert problems == []
    assert {sentences[row]: [sentences[c] for c in rows] for row, rows in spans.items()} == {
        "The drug is given as an infusion into a vein.": ["It is repeated every 3 weeks."]}
    build_index(settings, embedder_factory=lambda _name: HashingEmbedder())
    retriever = Retriever.from_settings(settings, embedder=HashingEmbedder(), thresholds=(-1.0, 0.0))
    body = retriever.ask("is it a tablet or a drip").answer.split("\n", 1)[0]
    # the span is always shown, in reading order, in place of the farther neighbour of the answer sentence
    assert body == ("The drug is given as an infusion into a vein. Each infusion takes about one hour. "
                    "It is repeated every 3 weeks.")


@pytest.mark.parametrize("also, error", [
    ('["every 3 weeks", "one hour", "Nurses"]', "at most 2"), ('"every 3 weeks"', "at most 2"), ("[1]", "at most 2")])
def test_a_malformed_span_is_named(tmp_path: Path, also: str, error: str):
    settings = write_trial(tmp_path, "NCT00000003", SPAN_DOC,
                           QUESTIONS.replace('answer: "sponsor pays"', f'answer: "sponsor pays"\n  with: {also}'))
    with pytest.raises(KnowledgeError, match=error):
        load_entries(question_paths(settings.docs_dir))


def test_a_span_piece_that_names_no_single_sentence_is_a_problem_and_left_out(tmp_path: Path, caplog):
    settings = write_trial(tmp_path, "NCT00000003", SPAN_DOC, QUESTIONS.replace(
        'answer: "infusion into a vein"', 'answer: "infusion into a vein"\n  with: ["the patient"]'))
    chunks = chunks_of(settings)
    spans, problems = answer_spans(load_entries(question_paths(settings.docs_dir)), chunks)
    assert spans == {} and len(problems) == 1 and "with:" in problems[0] and "no sentence" in problems[0]
    with caplog.at_level(logging.WARNING, logger="knowledge.anticipated"):
        assert load_answer_spans(settings.docs_dir, chunks) == {}
    assert "answer span left out" in caplog.text
