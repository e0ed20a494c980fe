"""Hybrid search: dense (FAISS inner product on normalised vectors), BM25 and the chunks' best sentence relevance
(below), fused by reciprocal rank, then the fused candidates re-ranked by a weighted sum of the chunk's cosine, its
section heading's cosine, its BM25 score (relative to the best) and its best sentence's relevance
(``knowledge.sentence_scoring``, plus how closely the question matches the anticipated questions that sentence
answers, ``knowledge.anticipated``).

Return shape of ``search``: ``[(chunk_id, score)]`` best first, at most ``top_k`` items; an empty index
gives an empty list. ``query`` gives the same ranking with each stage's scores, plus the relevance of every
sentence, which answer composition reuses.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from knowledge.chunking import Chunk
from knowledge.embedding import Embedder
from knowledge.fusion import reciprocal_rank_fusion
from knowledge.index_store import LoadedIndex
from knowledge.lexical import LexicalIndex
from knowledge.sentence_scoring import SentenceTable
from knowledge.synonyms import QueryExpander

SearchMode = Literal["hybrid", "dense", "bm25"]
CANDIDATES = 30
# Trial registry numbers as the lexical index spells them (nct07014540, isrctn12345678, chictr2300012345).
_IDENTIFIER = re.compile(r"nct\d{8}|isrctn\d{8}|chictr\d{6,}")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchHit:
    """One ranked chunk with the scores of each stage (``dense`` is cosine similarity)."""

    position: int
    chunk: Chunk
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class RankingWeights:
    """How the hybrid re-ranking and the sentence relevance combine their signals (set by evaluation, for
    every question alike)."""

    candidates: int = 20  # fused candidates that are re-ranked
    chunk_dense: float = 1.0
    heading: float = 0.5
    bm25: float = 0.3
    best_sentence: float = 1.0
    sentence_lexical: float = 0.3  # weight of term overlap in a sentence's relevance
    anticipated: float = 3.0  # weight of a sentence's best anticipated-question similarity above the floor
    anticipated_floor: float = 0.5
    section: float = 0.5  # weight of the section classifier's probability (``knowledge.section_classifier``)
    sentence: float = 2.0  # weight of the sentence classifier's probability (``knowledge.sentence_classifier``)
    identifier: float = 0.5  # bonus of a sentence that holds a registry number the question names


@dataclass(frozen=True)
class QueryResult:
    """Everything later stages need: the expanded query, its vector, the ranked hits, and the relevance of
    every sentence and every chunk (indexed like ``LoadedIndex.sentence_vectors`` and ``.chunks``).
    ``evidence_scores`` is the sentence relevance without the sentence classifier, for the refusal gate."""

    expanded: str
    vector: np.ndarray
    hits: list[SearchHit]
    sentence_scores: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    chunk_scores: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    evidence_scores: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


def embedding_text(chunk: Chunk) -> str:
    """What the dense model sees for a chunk: its section path, then its text."""
    return f"{chunk.section}: {chunk.text}"


def lexical_text(chunk: Chunk) -> str:
    """What BM25 sees for a chunk: title, section path and text."""
    return f"{chunk.title} {chunk.section} {chunk.text}"


def _grouped_by_row(vectors: np.ndarray | None, rows: np.ndarray | None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The anticipated-question vectors sorted by the sentence row they answer, the distinct rows, and where
    each row's run starts: one ``np.maximum.reduceat`` then gives every row's best cosine."""
    if vectors is None or rows is None or not len(rows):
        return None
    order = np.argsort(rows, kind="stable")
    answered_rows, group_starts = np.unique(rows[order], return_index=True)
    return np.ascontiguousarray(vectors[order]), answered_rows, group_starts


class HybridSearcher:
    """Searches one loaded index; built once per process and reused for every question."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, expander: QueryExpander, lexical: LexicalIndex,
                 weights: RankingWeights | None = None):
        self.index = index
        self.embedder = embedder
        self.expander = expander
        self.lexical = lexical
        self.weights = weights or RankingWeights()
        self.sentences = SentenceTable.build(index, lexical)
        self.indexed_trials = {chunk.trial_id.lower() for chunk in index.chunks}
        self._anticipated = _grouped_by_row(index.anticipated_vectors, index.anticipated_rows)

    def query(self, question: str, top_k: int = 5, mode: SearchMode = "hybrid",
              trial_id: str | None = None) -> QueryResult:
        """Rank chunks for ``question``; see the module docstring for the scores."""
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        expanded = self.expander.expand(question)
        vector = self.embedder.encode([self.expander.expand_brief(question)])[0]
        chunks = self.index.chunks
        if not chunks:
            log.warning("search on an empty index")
            return QueryResult(expanded, vector, [])
        dense = self._dense_scores(vector)
        lexical = self.lexical.scores(expanded)
        sentence_scores, chunk_scores, evidence_scores = self._relevance(vector, expanded, dense, lexical)
        allowed = np.array([trial_id is None or c.trial_id == trial_id for c in chunks])
        rankings: list[list[int]] = []
        for name, scores in (("dense", dense), ("bm25", lexical)):
            if mode in ("hybrid", name):
                order = [int(i) for i in np.argsort(-scores, kind="stable") if allowed[i]]
                if name == "bm25":
                    order = [i for i in order if scores[i] > 0]
                rankings.append(order[:CANDIDATES])
        if mode == "hybrid":  # the chunk of a sentence the learned signals single out is always a candidate,
            # even when the chunk's words and vector rank low ("who can take part" vs "stop taking part")
            best_sentence = np.maximum.reduceat(sentence_scores, self.index.sentence_offsets)
            rankings.append([int(i) for i in np.argsort(-best_sentence, kind="stable") if allowed[i]][:CANDIDATES])
        fused = reciprocal_rank_fusion(rankings)
        if mode == "hybrid":
            head = sorted(fused[:self.weights.candidates], key=lambda pair: (-chunk_scores[pair[0]], pair[0]))
            fused = [(pos, float(chunk_scores[pos])) for pos, _ in head] + fused[self.weights.candidates:]
        hits = [
            SearchHit(position=pos, chunk=chunks[pos], score=score, dense=float(dense[pos]),
                      lexical=float(lexical[pos]))
            for pos, score in fused[:top_k]
        ]
        return QueryResult(expanded, vector, hits, sentence_scores, chunk_scores, evidence_scores)

    def _relevance(self, vector: np.ndarray, expanded: str, dense: np.ndarray, lexical: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Relevance of every sentence, the re-ranking score of every chunk, and the sentence relevance
        without the sentence classifier (see ``QueryResult``)."""
        w, index = self.weights, self.index
        query_terms = self.lexical.query_terms(expanded)
        sentence_scores = self.sentences.scores(index.sentence_vectors, vector, query_terms, w.sentence_lexical)
        section_probability = (index.sections.chunk_probabilities(vector) if index.sections is not None
                               else np.zeros(len(index.chunks), dtype=np.float32))
        learned = (w.anticipated * np.maximum(0.0, self._anticipated_similarity(vector) - w.anticipated_floor)
                   + w.section * section_probability[index.sentence_owner])
        classified = (w.sentence * index.sentence_classifier.row_probabilities(vector, len(sentence_scores))
                      if index.sentence_classifier is not None else np.zeros_like(sentence_scores))
        identifiers = [term for term in query_terms
                       if _IDENTIFIER.fullmatch(term) and term not in self.indexed_trials]
        if identifiers:  # "what is NCT07014540?" is about where that number is written, not about similar questions
            in_chunk = self.sentences.rows_holding(identifiers)
            chunk_holds = np.zeros(len(index.chunks), dtype=bool)
            chunk_holds[index.sentence_owner[in_chunk]] = True
            learned = np.where(chunk_holds[index.sentence_owner], learned, 0.0) + w.identifier * in_chunk
            classified = np.where(chunk_holds[index.sentence_owner], classified, 0.0)
        evidence_scores = sentence_scores + learned
        sentence_scores = evidence_scores + classified
        best_sentence = np.maximum.reduceat(sentence_scores, index.sentence_offsets)
        headings = index.heading_vectors @ vector if index.heading_vectors is not None else 0.0
        top_lexical = float(lexical.max())
        relative_lexical = lexical / top_lexical if top_lexical > 0 else lexical
        chunk_scores = (w.chunk_dense * dense + w.heading * headings + w.bm25 * relative_lexical
                        + w.best_sentence * best_sentence)
        return sentence_scores, np.asarray(chunk_scores, dtype=np.float32), evidence_scores

    def _anticipated_similarity(self, vector: np.ndarray) -> np.ndarray:
        """Per sentence row: the best cosine between the question and the anticipated questions that sentence
        answers (0 for a sentence without any)."""
        best = np.zeros(len(self.index.sentence_vectors), dtype=np.float32)
        if self._anticipated is not None:
            vectors, answered_rows, group_starts = self._anticipated
            best[answered_rows] = np.maximum(np.maximum.reduceat(vectors @ vector, group_starts), 0.0)
        return best

    def _dense_scores(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every chunk, from one flat FAISS search over the whole index."""
        total = self.index.chunk_index.ntotal
        similarities, ids = self.index.chunk_index.search(vector.reshape(1, -1), total)
        scores = np.empty(total, dtype=np.float32)
        scores[ids[0]] = similarities[0]
        return scores

    def search(self, question: str, top_k: int = 5, mode: SearchMode = "hybrid") -> list[tuple[str, float]]:
        """``[(chunk_id, fused score)]`` best first."""
        return [(hit.chunk.chunk_id, hit.score) for hit in self.query(question, top_k, mode).hits]
