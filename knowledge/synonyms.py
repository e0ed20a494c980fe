"""Patients' words to the documents' words: synonym expansion from a YAML list, plus spelling repair
against the index's own vocabulary."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.errors import KnowledgeError

_TOKEN = re.compile(r"[a-z0-9][a-z0-9\-\.]*[a-z0-9]|[a-z0-9]")
NUMBER_SLOT = "{number}"  # in a phrase: any whole number up to three digits ("i am {number}" matches "I am 80")


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in phrase.lower().split(NUMBER_SLOT)]
    number = r"\d{1,3}(?![\d%]|[.,]\d|\s*per\s?cent)"
    return re.compile(r"(?<![a-z0-9])" + number.join(parts) + r"(?![a-z0-9])")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens; keeps ids like ``cldn18.2`` and ``shr-a1904`` whole."""
    return _TOKEN.findall(text.lower())


@dataclass
class QueryExpander:
    """Adds the documents' terms for the patients' words found in a question."""

    synonyms: dict[str, list[str]]
    vocabulary: set[str] = field(default_factory=set)
    _patterns: list[tuple[re.Pattern[str], list[str]]] = field(default_factory=list, init=False)
    _by_length: dict[int, list[str]] = field(default_factory=dict, init=False)
    _repairs: dict[str, str | None] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._patterns = [
            (_phrase_pattern(phrase), terms)
            for phrase, terms in sorted(self.synonyms.items(), key=lambda item: -len(item[0]))
        ]
        for word in sorted(self.vocabulary):
            self._by_length.setdefault(len(word), []).append(word)

    def repair(self, token: str) -> str | None:
        """The vocabulary word closest to a misspelled ``token`` (difflib ratio ≥ 0.84), or None. Only words
        whose length allows that ratio are compared, and answers are remembered (a bounded cache)."""
        if token not in self._repairs:
            if len(self._repairs) > 20_000:
                self._repairs.clear()
            size = len(token)
            candidates = [w for n in range(int(size * 0.72), int(size * 1.39) + 1) for w in self._by_length.get(n, ())]
            close = difflib.get_close_matches(token, candidates, n=1, cutoff=0.84)
            self._repairs[token] = close[0] if close else None
        return self._repairs[token]

    def expansions(self, question: str) -> list[str]:
        """Terms to add for ``question``: synonyms first, then spelling repairs."""
        lowered = question.lower()
        added: list[str] = []
        for pattern, terms in self._patterns:
            if pattern.search(lowered):
                added.extend(term for term in terms if term not in added)
        if self.vocabulary:
            for token in tokenize(lowered):
                if len(token) >= 5 and token not in self.vocabulary and not token.isdigit():
                    close = self.repair(token)
                    if close and close not in added:
                        added.append(close)
        return added

    def expand(self, question: str) -> str:
        """The question with every added term (for lexical search)."""
        extra = self.expansions(question)
        return f"{question} ({'; '.join(extra)})" if extra else question

    def expand_brief(self, question: str) -> str:
        """The question with only the first document term of each matched phrase (for the dense
        model, which a long list of added terms would pull off the question's meaning)."""
        lowered = question.lower()
        extra: list[str] = []
        for pattern, terms in self._patterns:
            if terms and pattern.search(lowered) and terms[0] not in extra:
                extra.append(terms[0])
        return f"{question} ({'; '.join(extra)})" if extra else question


def load_synonyms(path: Path) -> dict[str, list[str]]:
    """Read ``phrase: [terms]`` pairs; a malformed file is a KnowledgeError naming it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"Synonym list {path} cannot be read: {exc.__class__.__name__}") from exc
    if not isinstance(data, dict):
        raise KnowledgeError(f"Synonym list {path} must map phrases to lists of terms")
    result: dict[str, list[str]] = {}
    for phrase, terms in data.items():
        if isinstance(terms, str | int | float):
            terms = [terms]
        if not isinstance(terms, list) or not all(isinstance(t, str | int | float) for t in terms):
            raise KnowledgeError(f"Synonym list {path}: entry {phrase!r} must be a list of terms")
        result[str(phrase).lower()] = [str(t) for t in terms]
    return result
