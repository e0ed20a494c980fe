"""Adaptation of the packaged embedding model at index time: batches never pair a question with another
question's identical answer, the fine-tuned model is stored in the index (verified like every index file)
and used to encode questions, and it brings questions nearer the sentences that answer them."""

import logging
import random
from pathlib import Path

import numpy as np
import pytest
from trialfiles import write_trial

from knowledge.adaptation import distinct_answer_batches
from knowledge.build import build_index
from knowledge.embedding import load_embedder
from knowledge.errors import IndexCorruptError
from knowledge.index_store import load_index
from knowledge.retriever import Retriever
from trialbot.settings import KnowledgeSettings

DOC = """---
trial_id: NCT00000004
title: "Demo"
section: "Demo"
version: "1"
---
## How is the drug given?
The drug is given as an infusion into a vein every three weeks.

## Who pays?
The sponsor provides the study drug free of charge.

## Where is it?
The only trial site is a hospital in the capital.
"""

QUESTIONS = """
- section: "How is the drug given?"
  answer: "infusion into a vein"
  questions: ["is it a tablet or a drip", "how do they give it to me", "do i swallow it", "needle or pill?"]
- section: "Who pays?"
  answer: "free of charge"
  questions: ["do i pay for the medicine", "what does it cost me", "is the drug free", "any bill for the drug?"]
- section: "Where is it?"
  answer: "only trial site"
  questions: ["where do i have to go", "which city is it in", "can i do it near home", "location?"]
"""


def test_batches_hold_each_answer_once_and_keep_every_pair_that_can_be_batched():
    pairs = [(f"q{i}", f"a{i % 5}") for i in range(40)]
    batches = distinct_answer_batches(pairs, batch_size=4, rng=random.Random(1))
    assert all(len({answer for _, answer in batch}) == len(batch) <= 4 for batch in batches)
    assert sorted(pair for batch in batches for pair in batch) == sorted(pairs)
    lonely = distinct_answer_batches([("q1", "same"), ("q2", "same")], batch_size=4, rng=random.Random(1))
    assert lonely == []  # a batch of one has no negative to learn from


@pytest.fixture()
def settings(tmp_path: Path) -> KnowledgeSettings:
    return write_trial(tmp_path, "NCT00000004", DOC, QUESTIONS, adaptation_epochs=8, adaptation_learning_rate=1e-4)


@pytest.mark.integration
def test_the_adapted_model_is_stored_verified_used_and_brings_questions_to_their_answers(settings, caplog):
    packaged = load_embedder(settings.embedding_model)
    caplog.set_level(logging.INFO, logger="knowledge")
    report = build_index(settings, embedder_factory=lambda _name: packaged)
    assert report.rebuilt
    progress = [r.getMessage() for r in caplog.records if r.name == "knowledge.adaptation"]
    assert progress[0] == "fine-tuning the embedding model on 12 questions: 32 batches"  # 4 a epoch, 8 epochs
    assert "fine-tuning: 20 of 32 batches done" in progress
    index = load_index(settings.index_dir)
    assert index.manifest["adapted_model"] == "adapted-model" and index.adapted_model is not None
    assert any(name.startswith("adapted-model/") for name in index.manifest["files"])
    retriever = Retriever.from_settings(settings, thresholds=(-1.0, 0.0))
    adapted = retriever.searcher.embedder
    assert adapted.model is not packaged.model

    question = "needle or pill?"
    answer = "How is the drug given? The drug is given as an infusion into a vein every three weeks."
    before = packaged.encode([question, answer])
    after = adapted.encode([question, answer])
    assert float(after[0] @ after[1]) > float(before[0] @ before[1]) + 0.05
    # the packaged model the build was given is left as it was
    assert np.allclose(packaged.encode([question]), before[:1], atol=1e-6)
    assert retriever.ask("needle or pill?").citations[0].section.endswith("How is the drug given?")

    assert not build_index(settings, embedder_factory=lambda _name: packaged).rebuilt
    weights = next(index.adapted_model.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-8] + b"tampered")
    with pytest.raises(IndexCorruptError, match="trialbot index"):
        load_index(settings.index_dir)


@pytest.mark.integration
def test_without_adaptation_no_model_is_stored_and_the_packaged_model_encodes(settings):
    settings = settings.model_copy(update={"adaptation_epochs": 0})
    build_index(settings, embedder_factory=lambda _name: load_embedder(settings.embedding_model))
    index = load_index(settings.index_dir)
    assert index.manifest["adapted_model"] is None and index.adapted_model is None
    assert not (settings.index_dir / "adapted-model").exists()
