"""Hybrid search: dense (FAISS inner product on normalised vectors) plus BM25, fused by reciprocal rank.

Return shape of ``search``: ``[(chunk_id, score)]`` best first, at most ``top_k`` items; an empty index
gives an empty list. ``search_hits`` gives the same ranking with each stage's scores.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np

from knowledge.chunking import Chunk
from knowledge.embedding import Embedder
from knowledge.fusion import reciprocal_rank_fusion
from knowledge.index_store import LoadedIndex
from knowledge.lexical import LexicalIndex
from knowledge.synonyms import QueryExpander

SearchMode = Literal["hybrid", "dense", "bm25"]
CANDIDATES = 30
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
class QueryResult:
    """Everything later stages need: the expanded query, its vector, dense scores of all chunks."""

    expanded: str
    vector: np.ndarray
    hits: list[SearchHit]


def embedding_text(chunk: Chunk) -> str:
    """What the dense model sees for a chunk: its section path, then its text."""
    return f"{chunk.section}: {chunk.text}"


def lexical_text(chunk: Chunk) -> str:
    """What BM25 sees for a chunk: title, section path and text."""
    return f"{chunk.title} {chunk.section} {chunk.text}"


class HybridSearcher:
    """Searches one loaded index; built once per process and reused for every question."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, expander: QueryExpander, lexical: LexicalIndex):
        self.index = index
        self.embedder = embedder
        self.expander = expander
        self.lexical = lexical

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
        dense = self._dense_scores(vector) if mode != "bm25" else None
        lexical = self.lexical.scores(expanded) if mode != "dense" else None
        allowed = np.array([trial_id is None or c.trial_id == trial_id for c in chunks])
        rankings: list[list[int]] = []
        for scores in (dense, lexical):
            if scores is not None:
                order = [int(i) for i in np.argsort(-scores, kind="stable") if allowed[i]]
                if scores is lexical:
                    order = [i for i in order if scores[i] > 0]
                rankings.append(order[:CANDIDATES])
        fused = reciprocal_rank_fusion(rankings)[:top_k]
        hits = [
            SearchHit(
                position=pos,
                chunk=chunks[pos],
                score=score,
                dense=float(dense[pos]) if dense is not None else 0.0,
                lexical=float(lexical[pos]) if lexical is not None else 0.0,
            )
            for pos, score in fused
        ]
        return QueryResult(expanded, vector, hits)

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
