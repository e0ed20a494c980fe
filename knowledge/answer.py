"""Answer composition: pick the one to three most relevant sentences of the best passages
(extractive, no generated text), cite their section, and decline when retrieval is not confident."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np

from knowledge.index_store import LoadedIndex
from knowledge.lexical import LexicalIndex
from knowledge.search import QueryResult, SearchHit

REFUSAL = (
    "I'm sorry, I can't answer that reliably: the information I have about trial {trial} does not cover it. "
    "I can only answer questions about this trial. A patient navigator (a person) can help: "
    "type \"talk to a person\" at any time."
)
SCREENING_OFFER = (
    "Only the trial team can decide who takes part. If you like, I can go through a short pre-screening "
    "with you: type \"check if I can join\"."
)
_ELIGIBILITY_QUESTION = re.compile(
    r"\b(eligib\w*|elig\w*ble|qualif\w*|can\s+(?:i|he|she|we|they|my\s+\w+)\s+(?:still\s+)?"
    r"(?:join|enrol+|take\s+part|participate|apply|get\s+in|be\s+in|sign\s+up)|allowed\s+to\s+(?:join|enrol+)"
    r"|accept(?:ed)?\s+(?:into|in|on)\b)",
    re.IGNORECASE,
)
_LIST_QUESTION = re.compile(r"\b(all|list|every|what are the|which)\b.*\b(criteria|exclusions?|inclusions?|"
                            r"side effects|tests|steps|requirements)\b", re.IGNORECASE)
_FORBIDDEN = re.compile(r"\byou(?:'re| are) eligible\b|\byou qualify\b", re.IGNORECASE)


@dataclass(frozen=True)
class Citation:
    source: str
    section: str
    score: float
    text: str


@dataclass
class Answer:
    """What the patient is shown (``answer``) and why; ``to_dict`` is the ``trialbot ask --json`` shape."""

    question: str
    answer: str
    confident: bool
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    eligibility_question: bool = False
    domain: float = 1.0

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "confident": self.confident,
            "citations": [asdict(c) for c in self.citations],
        }


@dataclass(frozen=True)
class CompositionSettings:
    min_confidence: float
    min_domain: float = 0.0
    max_sentences: int = 3
    max_chars: int = 400
    list_max_chars: int = 900
    candidate_hits: int = 3


def is_eligibility_question(question: str) -> bool:
    """True for "can I join if…" style questions, which get the screening offer."""
    return bool(_ELIGIBILITY_QUESTION.search(question))


@dataclass(frozen=True)
class _ScoredSentence:
    row: int
    hit_rank: int
    hit: SearchHit
    index_in_chunk: int
    text: str
    similarity: float
    score: float


def _score_sentences(result: QueryResult, index: LoadedIndex, lexical: LexicalIndex, candidate_hits: int
                     ) -> list[_ScoredSentence]:
    query_terms = set(lexical.query_terms(result.expanded))
    scored: list[_ScoredSentence] = []
    for rank, hit in enumerate(result.hits[:candidate_hits]):
        first = int(index.sentence_offsets[hit.position])
        for offset, sentence in enumerate(hit.chunk.sentences):
            similarity = float(index.sentence_vectors[first + offset] @ result.vector)
            overlap = len(query_terms & set(lexical.query_terms(sentence))) / len(query_terms) if query_terms else 0.0
            position_bonus = (0.04 if rank == 0 else 0.0) + (0.05 if offset == 0 else 0.0)
            score = similarity + 0.2 * overlap + 0.3 * hit.dense + position_bonus
            scored.append(_ScoredSentence(first + offset, rank, hit, offset, sentence, similarity, score))
    return sorted(scored, key=lambda s: -s.score)


def _window_around(best: _ScoredSentence, scored: list[_ScoredSentence], max_sentences: int, limit: int
                   ) -> list[_ScoredSentence]:
    """The best sentence plus its neighbours in the same passage (the better-scoring side first),
    up to ``max_sentences`` and ``limit`` characters: consecutive sentences read as one answer."""
    same_chunk = {s.index_in_chunk: s for s in scored if s.hit.position == best.hit.position}
    chosen = [best]
    low = high = best.index_in_chunk
    while len(chosen) < max_sentences:
        options = [same_chunk[i] for i in (low - 1, high + 1) if i in same_chunk]
        options = [o for o in options if sum(len(c.text) + 1 for c in chosen) + len(o.text) <= limit]
        if not options:
            break
        pick = max(options, key=lambda o: o.score)
        chosen.append(pick)
        low, high = min(low, pick.index_in_chunk), max(high, pick.index_in_chunk)
    return sorted(chosen, key=lambda s: s.index_in_chunk)


def confidence_of(result: QueryResult, index: LoadedIndex) -> float:
    """The retrieval confidence used for refusal: the best cosine of a top passage or of one of its
    sentences (taken from the stored sentence vectors, so it costs a dot product)."""
    if not result.hits:
        return 0.0
    best_dense = max(float(index.chunk_index.reconstruct(h.position) @ result.vector) for h in result.hits[:3])
    rows = [
        int(index.sentence_offsets[h.position]) + i for h in result.hits[:3] for i in range(len(h.chunk.sentences))
    ]
    best_sentence = float(np.max(index.sentence_vectors[rows] @ result.vector)) if rows else 0.0
    return max(best_dense, best_sentence)


def domain_probability(result: QueryResult, index: LoadedIndex) -> float:
    """How likely the question is addressed to this assistant at all (1.0 without a classifier)."""
    return index.domain.probability(result.vector) if index.domain is not None else 1.0


def compose_answer(question: str, result: QueryResult, index: LoadedIndex, lexical: LexicalIndex,
                   settings: CompositionSettings, trial_label: str) -> Answer:
    """Build the patient-facing answer from a search result."""
    eligibility = is_eligibility_question(question)
    confidence = confidence_of(result, index)
    domain = domain_probability(result, index)
    if not result.hits or confidence < settings.min_confidence or domain < settings.min_domain:
        return Answer(question, REFUSAL.format(trial=trial_label), False, [], confidence, eligibility, domain)
    scored = _score_sentences(result, index, lexical, settings.candidate_hits)
    limit = settings.list_max_chars if _LIST_QUESTION.search(question) else settings.max_chars
    chosen = _window_around(scored[0], scored, settings.max_sentences, limit)
    body = " ".join(s.text for s in chosen)
    cited_hits = list(dict.fromkeys(s.hit.position for s in chosen))
    hits_by_position = {hit.position: hit for hit in result.hits}
    citations = [
        Citation(
            source=hits_by_position[pos].chunk.title,
            section=hits_by_position[pos].chunk.section,
            score=round(float(hits_by_position[pos].dense), 4),
            text=hits_by_position[pos].chunk.text,
        )
        for pos in cited_hits
    ]
    lead = citations[0]
    # One line break, not two: Rasa's channels split a text at blank lines into separate messages.
    source_line = f"Source: {lead.section} ({lead.source})"
    text = f"{body}\n{SCREENING_OFFER}\n{source_line}" if eligibility else f"{body}\n{source_line}"
    if _FORBIDDEN.search(text):
        text = _FORBIDDEN.sub("you may possibly be eligible (the trial team confirms)", text)
    return Answer(question, text, True, citations, confidence, eligibility, domain)
