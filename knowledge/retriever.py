"""The retrieval facade used by the CLI and the action server: load once, then ``ask`` many times."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from knowledge.answer import Answer, CompositionSettings, SentenceLinks, compose_answer
from knowledge.anticipated import load_answer_spans
from knowledge.caveats import section_caveats
from knowledge.embedding import Embedder, load_embedder
from knowledge.errors import KnowledgeError
from knowledge.index_store import LoadedIndex, load_index
from knowledge.lexical import LexicalIndex
from knowledge.search import HybridSearcher, SearchMode, lexical_text
from knowledge.synonyms import QueryExpander, load_synonyms
from knowledge.threads import limit_blas_threads
from trialbot.settings import KnowledgeSettings

log = logging.getLogger(__name__)
EMPTY_QUESTION = "Please type your question about the trial, and I will look it up."


def load_thresholds(settings: KnowledgeSettings) -> tuple[float, float]:
    """The refusal gate (minimum answer score, domain weight; see ``knowledge.answer.answer_score``) written
    by ``trialbot eval retrieval --calibrate``, which sets it on evaluation data."""
    try:
        data = json.loads(settings.calibration_path.read_text(encoding="utf-8"))
        return float(data["min_score"]), float(data["domain_weight"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KnowledgeError(
            f"No usable refusal calibration at {settings.calibration_path}; run `trialbot eval retrieval`."
        ) from exc


@dataclass
class Retriever:
    """Answers questions from one loaded index."""

    index: LoadedIndex
    searcher: HybridSearcher
    composition: CompositionSettings
    top_k: int
    links: SentenceLinks = field(default_factory=SentenceLinks)  # caveats and answer spans

    @classmethod
    def from_settings(cls, settings: KnowledgeSettings, embedder: Embedder | None = None,
                      thresholds: tuple[float, float] | None = None) -> Retriever:
        limit_blas_threads(settings.blas_threads)
        index = load_index(settings.index_dir, expected_model=settings.embedding_model)
        embedder = embedder or load_embedder(settings.embedding_model, index.adapted_model)
        if embedder.dimension != index.manifest.get("dimension") and index.chunks:
            raise KnowledgeError("The index dimension does not match the model. Run `trialbot index` to rebuild it.")
        lexical = LexicalIndex([lexical_text(c) for c in index.chunks])
        expander = QueryExpander(load_synonyms(settings.synonyms_path), lexical.vocabulary)
        min_score, domain_weight = load_thresholds(settings) if thresholds is None else thresholds
        composition = CompositionSettings(
            min_score=min_score,
            domain_weight=domain_weight,
            max_sentences=settings.max_answer_sentences,
            max_chars=settings.max_answer_chars,
        )
        searcher = HybridSearcher(index, embedder, expander, lexical)
        links = SentenceLinks(section_caveats(settings.docs_dir, index.chunks, searcher.sentences),
                              load_answer_spans(settings.docs_dir, index.chunks))
        return cls(index, searcher, composition, settings.top_k, links)

    @property
    def trial_label(self) -> str:
        trials = self.index.manifest.get("trials") or ["this trial"]
        return " / ".join(trials)

    def ask(self, question: str, mode: SearchMode = "hybrid", trial_id: str | None = None) -> Answer:
        """Answer one question (never raises for odd text; an empty question gets a prompt)."""
        cleaned = " ".join(str(question).split())[:2000]
        if not cleaned:
            return Answer(question, EMPTY_QUESTION, False)
        result = self.searcher.query(cleaned, self.top_k, mode, trial_id)
        return compose_answer(cleaned, result, self.index, self.searcher.sentences, self.composition,
                              self.trial_label, self.links)
