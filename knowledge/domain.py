"""Is a question addressed to this trial's assistant at all? A logistic-regression classifier on the
question's embedding, trained at index time on questions written for the project (the trials'
``domain_questions.txt`` and document headings versus ``knowledge/domain/out_of_domain.txt``).
It costs one dot product per question, because it reuses the query vector."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.documents import Document

_HEADING = re.compile(r"^#{2,6}\s+(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class DomainClassifier:
    """p(in domain) = sigmoid(weights · vector + bias)."""

    weights: np.ndarray
    bias: float

    def probability(self, vector: np.ndarray) -> float:
        return float(1.0 / (1.0 + np.exp(-(float(self.weights @ vector) + self.bias))))

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, weights=self.weights, bias=np.array([self.bias]))

    @classmethod
    def load(cls, path: Path) -> DomainClassifier:
        data = np.load(path, allow_pickle=False)
        return cls(np.asarray(data["weights"], dtype=np.float32), float(data["bias"][0]))


def read_question_file(path: Path) -> list[str]:
    """One question per line; lines starting with ``#`` and blank lines are skipped."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def domain_question_paths(docs_dir: Path) -> list[Path]:
    """Each trial's in-domain training questions (``<trial>/domain_questions.txt``)."""
    return sorted(docs_dir.glob("*/domain_questions.txt"))


def training_examples(documents: list[Document], in_domain_files: list[Path], out_of_domain_file: Path
                      ) -> tuple[list[str], list[int]]:
    """Texts and labels (1 = for this assistant): document headings and written questions."""
    positives = [h for d in documents for h in _HEADING.findall(d.body)]
    positives += [q for path in in_domain_files for q in read_question_file(path)]
    negatives = read_question_file(out_of_domain_file)
    return positives + negatives, [1] * len(positives) + [0] * len(negatives)


def train_domain_classifier(vectors: np.ndarray, labels: list[int], regularization: float = 4.0
                            ) -> DomainClassifier | None:
    """Fit the classifier; None when there are not examples of both kinds."""
    if len(set(labels)) < 2:
        return None
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=regularization, class_weight="balanced", max_iter=2000)
    model.fit(vectors, np.asarray(labels))
    return DomainClassifier(model.coef_[0].astype(np.float32), float(model.intercept_[0]))
