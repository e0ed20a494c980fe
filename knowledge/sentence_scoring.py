"""Sentence-level relevance over the whole index, built once per process.

Each sentence gets ``cosine(question, sentence vector) + lexical_weight × overlap``, where the overlap is the
IDF-weighted share of the (synonym-expanded, stemmed) question terms that the sentence contains. The table
also knows which section each sentence belongs to, so an answer window can cross a chunk boundary but never
a heading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from knowledge.index_store import LoadedIndex
from knowledge.lexical import LexicalIndex


@dataclass(frozen=True)
class SentenceTable:
    """Every sentence of an index, in sentence-vector row order, with its chunk and section."""

    texts: list[str]
    chunk_of_row: np.ndarray
    section_of_row: np.ndarray
    section_start: np.ndarray  # first row of each section id
    section_end: np.ndarray  # one past the last row of each section id
    bulleted: np.ndarray  # per row: True for a bullet-list item
    incidence: sparse.csr_matrix  # rows × terms, 1 where the sentence holds the (stemmed) term
    term_ids: dict[str, int]
    idf: np.ndarray

    @classmethod
    def build(cls, index: LoadedIndex, lexical: LexicalIndex) -> SentenceTable:
        texts = [sentence for chunk in index.chunks for sentence in chunk.sentences]
        chunk_of_row = np.asarray(index.sentence_owner, dtype=np.int64)
        bulleted = np.array([position in chunk.bulleted for chunk in index.chunks
                             for position in range(len(chunk.sentences))], dtype=bool)
        keys = [(c.trial_id, c.source, c.section) for c in index.chunks]
        section_ids: dict[tuple[str, str, str], int] = {}
        section_of_row = np.array([section_ids.setdefault(keys[c], len(section_ids)) for c in chunk_of_row],
                                  dtype=np.int64)
        starts = np.full(len(section_ids), len(texts), dtype=np.int64)
        ends = np.zeros(len(section_ids), dtype=np.int64)
        for row, section in enumerate(section_of_row):
            starts[section] = min(starts[section], row)
            ends[section] = max(ends[section], row + 1)
        term_ids: dict[str, int] = {}
        rows, cols = [], []
        for row, text in enumerate(texts):
            for term in set(lexical.query_terms(text)):
                rows.append(row)
                cols.append(term_ids.setdefault(term, len(term_ids)))
        incidence = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                                      shape=(len(texts), max(1, len(term_ids))))
        frequency = np.asarray(incidence.sum(axis=0)).ravel()
        idf = np.array([math.log(1 + (len(texts) - n + 0.5) / (n + 0.5)) for n in frequency], dtype=np.float32)
        return cls(texts, chunk_of_row, section_of_row, starts, ends, bulleted, incidence, term_ids, idf)

    def overlap(self, query_terms: list[str]) -> np.ndarray:
        """Per sentence: the IDF-weighted share of the query's terms it contains (0 to 1)."""
        ids = sorted({self.term_ids[t] for t in query_terms if t in self.term_ids})
        if not ids or not len(self.texts):
            return np.zeros(len(self.texts), dtype=np.float32)
        weights = np.zeros(self.incidence.shape[1], dtype=np.float32)
        weights[ids] = self.idf[ids]
        return np.asarray(self.incidence @ weights).ravel() / float(weights.sum())

    def rows_holding(self, terms: list[str]) -> np.ndarray:
        """Per sentence: whether it holds every one of these (stemmed) terms."""
        held = np.ones(len(self.texts), dtype=bool)
        for term in terms:
            column = self.term_ids.get(term)
            if column is None:
                return np.zeros(len(self.texts), dtype=bool)
            held &= np.asarray(self.incidence[:, column].todense()).ravel() > 0
        return held

    def scores(self, sentence_vectors: np.ndarray, vector: np.ndarray, query_terms: list[str],
               lexical_weight: float) -> np.ndarray:
        """The relevance of every sentence to the question (cosine plus weighted term overlap)."""
        if not len(self.texts):
            return np.zeros(0, dtype=np.float32)
        return sentence_vectors @ vector + lexical_weight * self.overlap(query_terms)

    def section_rows(self, row: int) -> range:
        """The rows of the section that holds ``row``, in reading order."""
        section = int(self.section_of_row[row])
        return range(int(self.section_start[section]), int(self.section_end[section]))

    def whole_list(self, row: int) -> range | None:
        """The bullet list that ``row`` belongs to or introduces, with the sentence introducing it, in reading
        order (None when ``row`` is neither a list item nor the sentence just before one)."""
        section = self.section_rows(row)
        probe = row if self.bulleted[row] else row + 1
        if probe >= section.stop or not self.bulleted[probe]:
            return None
        start = stop = probe
        while start > section.start and self.bulleted[start - 1]:
            start -= 1
        while stop < section.stop and self.bulleted[stop]:
            stop += 1
        return range(max(section.start, start - 1), stop)
