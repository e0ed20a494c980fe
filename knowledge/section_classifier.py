"""Which section answers a question? A multinomial logistic regression over the question's embedding, trained
at index time on the anticipated questions (``knowledge.anticipated``), each labelled with the section of the
sentence that answers it. It reuses the query vector, so it costs one small matrix product per question."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.chunking import Chunk


def section_key(chunk: Chunk) -> str:
    """A section's identity across chunks: trial, document and section path."""
    return "\x1f".join((chunk.trial_id, chunk.source, chunk.section))


@dataclass(frozen=True)
class SectionClassifier:
    """p(section | question) = softmax(weights · vector + bias); ``chunk_classes`` maps each chunk to its
    section's class (-1 for a section without anticipated questions)."""

    weights: np.ndarray
    bias: np.ndarray
    chunk_classes: np.ndarray

    def chunk_probabilities(self, vector: np.ndarray) -> np.ndarray:
        """Per chunk: the probability that its section answers the question (0 for an unknown section)."""
        probabilities = softmax(self.weights @ vector + self.bias)
        known = self.chunk_classes >= 0
        return np.where(known, probabilities[np.where(known, self.chunk_classes, 0)], 0.0).astype(np.float32)

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, weights=self.weights, bias=self.bias, chunk_classes=self.chunk_classes)

    @classmethod
    def load(cls, path: Path) -> SectionClassifier:
        with np.load(path, allow_pickle=False) as data:
            return cls(np.asarray(data["weights"], dtype=np.float32), np.asarray(data["bias"], dtype=np.float32),
                       np.asarray(data["chunk_classes"], dtype=np.int64))


def train_section_classifier(question_vectors: np.ndarray, answer_chunks: np.ndarray, chunks: list[Chunk],
                             regularization: float = 10.0) -> SectionClassifier | None:
    """Fit on questions labelled by the chunk holding their answer; None with fewer than two sections."""
    keys = [section_key(chunk) for chunk in chunks]
    classes = sorted({keys[int(position)] for position in answer_chunks})
    if len(classes) < 2:
        return None
    class_of = {key: number for number, key in enumerate(classes)}
    labels = np.array([class_of[keys[int(position)]] for position in answer_chunks])
    weights, bias = fit_softmax(question_vectors, labels, regularization)
    chunk_classes = np.array([class_of.get(key, -1) for key in keys], dtype=np.int64)
    return SectionClassifier(weights, bias, chunk_classes)


def fit_softmax(vectors: np.ndarray, labels: np.ndarray, regularization: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias of a multinomial logistic regression (at least two classes, numbered from 0), one row
    per class: p(class) = softmax(weights · vector + bias)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=regularization, max_iter=3000)
    model.fit(vectors, labels)
    weights, bias = model.coef_, model.intercept_
    if weights.shape[0] == 1:  # sklearn keeps one logit for two classes: p(second) = sigmoid(w·x + b)
        weights, bias = np.vstack([np.zeros_like(weights), weights]), np.concatenate([[0.0], bias])
    return weights.astype(np.float32), bias.astype(np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    probabilities = np.exp(logits - logits.max())
    return probabilities / probabilities.sum()
