"""A small deterministic embedder for tests of the index store (hashing of words into 64 dimensions)."""

from __future__ import annotations

import hashlib

import numpy as np


class HashingEmbedder:
    name = "all-MiniLM-L6-v2"
    dimension = 64

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)
