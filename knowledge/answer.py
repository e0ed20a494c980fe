"""Answer composition: show the one to three most relevant consecutive sentences of the best passages'
sections (extractive, no generated text), cite their section, and decline when retrieval is not confident.
Where the questions written for the best sentence name the other sentences a complete answer needs (an
answer span, ``knowledge.anticipated``), those are shown in place of its farther neighbours. A bullet list that the
shown sentences touch is shown whole, with the sentence introducing it: two of three blood-count limits would
read as the whole rule."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from knowledge.index_store import LoadedIndex
from knowledge.search import QueryResult
from knowledge.sentence_scoring import SentenceTable

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
    min_score: float  # the refusal gate: answer when ``answer_score`` reaches this (set by calibration)
    domain_weight: float = 0.0
    max_sentences: int = 3
    max_chars: int = 400
    list_max_chars: int = 900
    list_max_sentences: int = 6
    candidate_hits: int = 3  # the answer comes from the sections of this many top hits
    chunk_weight: float = 1.0  # how much a sentence's chunk score adds to its own relevance
    section_start_bonus: float = 0.05  # the first sentence of a section usually states its answer


def is_eligibility_question(question: str) -> bool:
    """True for "can I join if…" style questions, which get the screening offer."""
    return bool(_ELIGIBILITY_QUESTION.search(question))


@dataclass(frozen=True)
class SentenceLinks:
    """Sentences written to be shown together: ``caveats`` (section id → the caveat's row, ``knowledge.caveats``)
    and ``spans`` (answer row → the other rows of its section that a complete answer needs,
    ``knowledge.anticipated.answer_spans``)."""

    caveats: Mapping[int, int] = field(default_factory=dict)
    spans: Mapping[int, tuple[int, ...]] = field(default_factory=dict)


def _best_window(result: QueryResult, index: LoadedIndex, table: SentenceTable, settings: CompositionSettings,
                 limit: int, max_sentences: int, links: SentenceLinks) -> list[int]:
    """Sentence rows to show: the most relevant sentence of the top hits' sections (its own relevance plus
    its chunk's ranking score), with as many of its neighbours in the same section as fit (at most
    ``max_sentences`` and ``limit`` characters; a single longer sentence is shown whole); among windows of
    equal length the one whose sentences score higher in total wins. A section's caveat, and the sentences an
    anticipated-question entry names as completing the best one (its span, when they fit), are always shown,
    in reading order, in place of neighbours."""
    sections = {table.section_rows(int(index.sentence_offsets[hit.position]))
                for hit in result.hits[:settings.candidate_hits]}
    total: dict[int, float] = {}
    for section in sections:
        for row in section:
            total[row] = (float(result.sentence_scores[row])
                          + settings.chunk_weight * float(result.chunk_scores[table.chunk_of_row[row]])
                          + (settings.section_start_bonus if row == section.start else 0.0))
    best = max(total, key=lambda row: (total[row], -row))
    caveat = links.caveats.get(int(table.section_of_row[best]))
    kept = {caveat} if caveat is not None else set()
    companions = set(links.spans.get(best, ())) - {best}
    if companions and _fits({best, *companions, *kept}, table, limit, max_sentences):
        kept |= companions
    kept.discard(best)
    rows = _window(best, table, total, limit, max_sentences)
    if not kept <= set(rows):
        room = limit - _shown_length(kept, table) - 1
        rows = sorted({*kept, *_window(best, table, total, room, max(1, max_sentences - len(kept)))})
    return _with_whole_lists(rows, best, table, settings, kept)


def _shown_length(rows, table: SentenceTable) -> int:
    """Characters of these sentences joined by single spaces."""
    return sum(len(table.texts[row]) + 1 for row in rows) - 1


def _fits(rows: set[int], table: SentenceTable, limit: int, max_sentences: int) -> bool:
    return len(rows) <= max_sentences and _shown_length(rows, table) <= limit


def _with_whole_lists(rows: list[int], best: int, table: SentenceTable, settings: CompositionSettings,
                      kept: set[int]) -> list[int]:
    """A bullet list is never shown in part: the rows plus every list they touch, with its introducing sentence
    (within the list limits); failing that, the list holding ``best`` (with the ``kept`` rows); else ``rows``."""
    lists = [whole for whole in map(table.whole_list, rows) if whole is not None]
    if not lists:
        return rows
    for candidate in (set(rows).union(*lists), set(table.whole_list(best) or ()) | kept):
        if len(candidate) > len(kept) and _fits(candidate, table, settings.list_max_chars,
                                                settings.list_max_sentences):
            return sorted(candidate)
    return rows


def _window(best: int, table: SentenceTable, total: dict[int, float], limit: int, max_sentences: int) -> list[int]:
    """The consecutive rows of ``best``'s section around it: the most that fit, then the highest total."""
    section = table.section_rows(best)
    windows = []
    for start in range(max(section.start, best - max_sentences + 1), best + 1):
        for stop in range(best + 1, min(section.stop, start + max_sentences) + 1):
            length = _shown_length(range(start, stop), table)
            if stop - start == 1 or length <= limit:
                windows.append((stop - start, sum(total[row] for row in range(start, stop)), -start, start, stop))
    _, _, _, start, stop = max(windows)
    return list(range(start, stop))


def confidence_of(result: QueryResult, index: LoadedIndex, hits: int = 3) -> float:
    """The retrieval confidence used for refusal: the best relevance (cosine plus weighted term overlap, see
    ``knowledge.sentence_scoring``, plus the anticipated-question and section signals, but not the sentence
    classifier: ``QueryResult.evidence_scores``) of a sentence in the top ``hits`` passages. The term overlap
    separates questions about the trial from other health questions better than the cosine alone."""
    if not result.hits or not len(result.evidence_scores):
        return 0.0
    rows = [int(index.sentence_offsets[h.position]) + i
            for h in result.hits[:hits] for i in range(len(h.chunk.sentences))]
    return float(np.max(result.evidence_scores[rows]))


def domain_probability(result: QueryResult, index: LoadedIndex) -> float:
    """How likely the question is addressed to this assistant at all (1.0 without a classifier)."""
    return index.domain.probability(result.vector) if index.domain is not None else 1.0


def answer_score(confidence, domain, domain_weight: float):
    """The refusal gate's score: retrieval confidence plus weighted domain probability (numbers or arrays).
    Neither signal alone separates trial questions from other health questions as well as both together."""
    return confidence + domain_weight * domain


def compose_answer(question: str, result: QueryResult, index: LoadedIndex, table: SentenceTable,
                   settings: CompositionSettings, trial_label: str, links: SentenceLinks | None = None
                   ) -> Answer:
    """Build the patient-facing answer from a search result (``links``: see ``SentenceLinks``)."""
    eligibility = is_eligibility_question(question)
    confidence = confidence_of(result, index)
    domain = domain_probability(result, index)
    if not result.hits or answer_score(confidence, domain, settings.domain_weight) < settings.min_score:
        return Answer(question, REFUSAL.format(trial=trial_label), False, [], confidence, eligibility, domain)
    listing = bool(_LIST_QUESTION.search(question))
    rows = _best_window(result, index, table, settings, settings.list_max_chars if listing else settings.max_chars,
                        settings.list_max_sentences if listing else settings.max_sentences, links or SentenceLinks())
    body = " ".join(table.texts[row] for row in rows)
    citations = []
    for position in dict.fromkeys(int(table.chunk_of_row[row]) for row in rows):
        chunk = index.chunks[position]
        cosine = float(index.chunk_index.reconstruct(position) @ result.vector)
        citations.append(Citation(source=chunk.title, section=chunk.section, score=round(cosine, 4), text=chunk.text))
    lead = citations[0]
    # One line break, not two: Rasa's channels split a text at blank lines into separate messages.
    source_line = f"Source: {lead.section} ({lead.source})"
    text = f"{body}\n{SCREENING_OFFER}\n{source_line}" if eligibility else f"{body}\n{source_line}"
    if _FORBIDDEN.search(text):
        text = _FORBIDDEN.sub("you may possibly be eligible (the trial team confirms)", text)
    return Answer(question, text, True, citations, confidence, eligibility, domain)
