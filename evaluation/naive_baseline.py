"""The naive design the product replaced: fixed 1,000-character chunks, dense search only, and the
top chunk shown as the answer."""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np

from evaluation.retrieval_metrics import SystemOutput
from knowledge.documents import Document
from knowledge.embedding import Embedder


@dataclass
class FixedChunk:
    source: str
    section: str
    text: str


def fixed_chunks(documents: list[Document], size: int = 1000) -> list[FixedChunk]:
    """Cut each document body every ``size`` characters, wherever that falls. The section recorded is
    every heading the window touches (as a naive index would know it)."""
    chunks: list[FixedChunk] = []
    for document in documents:
        body = document.body
        for start in range(0, len(body), size):
            window = body[start:start + size]
            before = body[:start].rsplit("\n## ", 1)
            headings = [before[1].split("\n", 1)[0]] if len(before) == 2 else []
            headings += [line[3:].strip() for line in window.splitlines() if line.startswith("## ")]
            chunks.append(FixedChunk(document.source, " › ".join([document.section, *headings]), window))
    return chunks


class NaiveBaseline:
    """Dense top-1 over fixed chunks; refusal on the top cosine alone."""

    def __init__(self, documents: list[Document], embedder: Embedder) -> None:
        self.chunks = fixed_chunks(documents)
        self.embedder = embedder
        vectors = embedder.encode([c.text for c in self.chunks])
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    def run(self, question: str) -> SystemOutput:
        vector = self.embedder.encode([question])
        scores, ids = self.index.search(vector, 5)
        ranked = [(self.chunks[i].source, self.chunks[i].section) for i in ids[0]]
        top = self.chunks[int(ids[0][0])].text
        return SystemOutput(ranked, top, top, True, float(scores[0][0]), 1.0)


def cosine_floor(embedder: Embedder, index: faiss.Index, question: str) -> np.ndarray:
    """The bare floor of one question: encode it and run one flat FAISS search over the index."""
    vector = embedder.encode([question])
    scores, _ = index.search(vector, index.ntotal)
    return scores
