"""BM25 lexical search over chunk texts (bm25s), with English stop words and stemming."""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer


class LexicalIndex:
    """BM25 over a fixed list of passages; built in memory at load time (it takes milliseconds)."""

    def __init__(self, passages: Sequence[str]) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._size = len(passages)
        self._retriever: bm25s.BM25 | None = None
        self.vocabulary: set[str] = set()
        if passages:
            tokens = bm25s.tokenize(list(passages), stopwords="en", stemmer=self._stemmer, show_progress=False)
            self._vocab_ids = tokens.vocab
            self._retriever = bm25s.BM25()
            self._retriever.index(tokens, show_progress=False)
            self.vocabulary = {
                word.lower()
                for passage in passages
                for word in bm25s.tokenize([passage], stopwords="en", show_progress=False, return_ids=False)[0]
            }

    def query_terms(self, query: str) -> list[str]:
        """The stemmed query terms that occur in the corpus."""
        if self._retriever is None:
            return []
        terms = bm25s.tokenize([query], stopwords="en", stemmer=self._stemmer, show_progress=False,
                               return_ids=False)[0]
        return [term for term in terms if term in self._vocab_ids]

    def scores(self, query: str) -> np.ndarray:
        """A BM25 score per passage (zeros when no query term is known)."""
        terms = self.query_terms(query)
        if not terms:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(terms), dtype=np.float32)  # type: ignore[union-attr]
