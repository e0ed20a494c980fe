"""Which sentence answers a question? A multinomial logistic regression over the question's embedding, trained at
index time on the anticipated questions (``knowledge.anticipated``), one class per answering sentence. Where the
nearest anticipated question is one neighbour's vote, this weighs every question written for each sentence; it
helps choose the sentences shown within a section. It reuses the query vector: one small matrix product.

A softmax over the known answers cannot say "none of these", so its probability ranks and chooses sentences but
never raises the refusal gate's confidence (``knowledge.search``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.section_classifier import fit_softmax, softmax


@dataclass(frozen=True)
class SentenceClassifier:
    """p(sentence row | question) = softmax(weights · vector + bias) over the rows in ``rows``."""

    weights: np.ndarray
    bias: np.ndarray
    rows: np.ndarray  # the sentence row of each class

    def row_probabilities(self, vector: np.ndarray, row_count: int) -> np.ndarray:
        """Per sentence row: the probability that it answers the question (0 for a row without questions)."""
        probabilities = np.zeros(row_count, dtype=np.float32)
        probabilities[self.rows] = softmax(self.weights @ vector + self.bias)
        return probabilities

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, weights=self.weights, bias=self.bias, rows=self.rows)

    @classmethod
    def load(cls, path: Path) -> SentenceClassifier:
        with np.load(path, allow_pickle=False) as data:
            return cls(np.asarray(data["weights"], dtype=np.float32), np.asarray(data["bias"], dtype=np.float32),
                       np.asarray(data["rows"], dtype=np.int64))


def train_sentence_classifier(question_vectors: np.ndarray, answer_rows: np.ndarray,
                              regularization: float = 10.0) -> SentenceClassifier | None:
    """Fit on questions labelled by the sentence row answering them; None with fewer than two sentences."""
    rows = np.unique(np.asarray(answer_rows, dtype=np.int64))
    if len(rows) < 2:
        return None
    labels = np.searchsorted(rows, answer_rows)
    weights, bias = fit_softmax(question_vectors, labels, regularization)
    return SentenceClassifier(weights, bias, rows)
