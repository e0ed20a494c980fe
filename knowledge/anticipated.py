"""Anticipated questions: questions patients ask, written for the project, each tied to the sentence of a
trial document that answers it (``<trial>/questions/<document stem>.yml``).

A file is a list of entries::

    - section: "How is SHR-A1904 given?"     # the exact ``##`` (or deeper) heading in that document
      answer: "intravenous (IV) infusion"     # a verbatim piece of exactly one sentence of that section
      with: ["once every 3 weeks"]            # optional: up to two more sentences of the section that a
      questions:                              #   complete answer also needs (verbatim pieces, like answer)
        - how do they give the drug, is it a pill?

At query time the question is compared with these (question-to-question similarity is what the packaged model
does best), and the matched sentence gains relevance. The file is optional: documents without one are searched
as before. ``python -m knowledge.anticipated`` checks every file against the documents.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from knowledge.chunking import SECTION_SEPARATOR, Chunk, sentence_owners
from knowledge.errors import KnowledgeError

log = logging.getLogger(__name__)
MAX_ALSO = 2


@dataclass(frozen=True)
class AnticipatedEntry:
    """One answer sentence (by a verbatim piece of it) and the questions it answers."""

    trial_id: str
    document: str  # the document file's stem, e.g. ``05-treatment-and-schedule``
    section: str
    answer: str
    questions: tuple[str, ...]
    origin: str  # file name, for error messages
    also: tuple[str, ...] = ()  # pieces of up to two more sentences of the section a complete answer needs


def question_paths(docs_dir: Path) -> list[Path]:
    """Every anticipated-questions file below ``docs_dir`` (``<trial>/questions/*.yml``), sorted."""
    return sorted(path for path in docs_dir.glob("*/questions/*.yml") if path.is_file())


def read_yaml_list(path: Path, what: str) -> list:
    """The list a YAML file holds (an empty file holds none); ``KnowledgeError`` naming the file otherwise."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"{path.name}: cannot read {what} ({exc.__class__.__name__})") from exc
    if not isinstance(data, list):
        raise KnowledgeError(f"{path.name}: expected a list of {what}")
    return data


def load_entries(paths: Sequence[Path]) -> list[AnticipatedEntry]:
    """Read the files; a malformed entry raises ``KnowledgeError`` naming the file and the entry."""
    entries: list[AnticipatedEntry] = []
    for path in paths:
        for number, item in enumerate(read_yaml_list(path, "anticipated questions"), start=1):
            questions = item.get("questions") if isinstance(item, dict) else None
            if (not isinstance(item, dict) or not isinstance(item.get("section"), str)
                    or not isinstance(item.get("answer"), str) or not isinstance(questions, list)
                    or not questions or not all(isinstance(q, str) and q.strip() for q in questions)):
                raise KnowledgeError(f"{path.name}: entry {number} needs section, answer and a list of questions")
            also = item.get("with", [])
            if not isinstance(also, list) or len(also) > MAX_ALSO or not all(isinstance(a, str) and a.strip()
                                                                             for a in also):
                raise KnowledgeError(f"{path.name}: entry {number}: 'with' is a list of at most {MAX_ALSO} pieces")
            entries.append(AnticipatedEntry(path.parent.parent.name, path.stem, item["section"], item["answer"],
                                            tuple(q.strip() for q in questions), path.name, tuple(also)))
    return entries


def _in_section(chunk: Chunk, entry: AnticipatedEntry) -> bool:
    return (chunk.trial_id == entry.trial_id and Path(chunk.source).stem == entry.document
            and entry.section in chunk.section.split(SECTION_SEPARATOR))


def locate(entries: Sequence[AnticipatedEntry], chunks: Sequence[Chunk]
           ) -> tuple[list[tuple[AnticipatedEntry, int]], list[str]]:
    """``([(entry, sentence row)], problems)``: the one sentence of its section that holds each entry's
    ``answer`` piece. Rows count sentences across ``chunks`` in order (as the index's sentence vectors do). An
    entry whose piece is not in exactly one sentence of its section is a problem and is left out."""
    sentences = [sentence.lower() for chunk in chunks for sentence in chunk.sentences]
    owners = sentence_owners(list(chunks))
    found: list[tuple[AnticipatedEntry, int]] = []
    problems: list[str] = []
    for entry in entries:
        needle = entry.answer.lower()
        rows = [row for row, sentence in enumerate(sentences)
                if needle in sentence and _in_section(chunks[owners[row]], entry)]
        if len(rows) != 1:
            held = "no sentence" if not rows else f"{len(rows)} sentences"
            problems.append(f"{entry.origin}: {entry.section!r} / {entry.answer!r}: {held} of the section hold it")
            continue
        found.append((entry, rows[0]))
    return found, problems


def resolve(entries: Sequence[AnticipatedEntry], chunks: Sequence[Chunk]) -> tuple[list[tuple[str, int]], list[str]]:
    """``([(question, sentence row)], problems)`` (see ``locate``)."""
    found, problems = locate(entries, chunks)
    return [(question, row) for entry, row in found for question in entry.questions], problems


def answer_spans(entries: Sequence[AnticipatedEntry], chunks: Sequence[Chunk]
                 ) -> tuple[dict[int, tuple[int, ...]], list[str]]:
    """``({answer sentence row: the rows its entry's ``with`` pieces name}, problems)``. When several entries
    answer with one sentence, the first that names any wins. A piece that is not in exactly one sentence of the
    entry's section is a problem, and its entry gets no span."""
    found, problems = locate(entries, chunks)
    spans: dict[int, tuple[int, ...]] = {}
    for entry, row in found:
        if not entry.also or row in spans:
            continue
        pieces = [replace(entry, answer=piece, also=()) for piece in entry.also]
        located, missing = locate(pieces, chunks)
        problems += [f"with: {problem}" for problem in missing]
        if not missing:
            spans[row] = tuple(sorted({companion for _, companion in located} - {row}))
    return spans, problems


def load_answer_spans(docs_dir: Path, chunks: Sequence[Chunk]) -> dict[int, tuple[int, ...]]:
    """``answer_spans`` of the files below ``docs_dir``, read when a retriever starts. A span that no longer
    matches its document is logged and left out rather than stopping the assistant; the shipped files are
    checked by tests."""
    spans, problems = answer_spans(load_entries(question_paths(docs_dir)), chunks)
    for problem in problems:
        log.warning("answer span left out: %s", problem)
    return spans


def uncovered_sections(pairs: Sequence[tuple[str, int]], chunks: Sequence[Chunk]) -> list[tuple[str, str, str]]:
    """(trial, document, section path) of every section under a heading that no resolved question answers."""
    def key(chunk: Chunk) -> tuple[str, str, str]:
        return chunk.trial_id, Path(chunk.source).stem, chunk.section

    owners = sentence_owners(list(chunks))
    answered = {key(chunks[owners[row]]) for _, row in pairs}
    headed = (key(c) for c in chunks if SECTION_SEPARATOR in c.section)
    return [k for k in dict.fromkeys(headed) if k not in answered]


def _check(docs_dir: Path, chunk_max_chars: int) -> int:
    """Print unresolved entries and sections without anticipated questions; 1 if any entry is unresolved."""
    from knowledge.chunking import chunk_documents
    from knowledge.documents import document_from_markdown, trial_document_paths

    documents = [document_from_markdown(p.read_text(encoding="utf-8"), p.name) for p in trial_document_paths(docs_dir)]
    chunks = chunk_documents(documents, chunk_max_chars)
    entries = load_entries(question_paths(docs_dir))
    pairs, problems = resolve(entries, chunks)
    spans, span_problems = answer_spans(entries, chunks)
    problems += span_problems
    for problem in problems:
        print("UNRESOLVED", problem)
    for key in uncovered_sections(pairs, chunks):
        print("NO QUESTIONS", " / ".join(key))
    print(f"{len(entries)} entries, {len(pairs)} questions resolved, {len(spans)} answer spans, "
          f"{len(problems)} unresolved")
    return 1 if problems else 0


if __name__ == "__main__":
    from trialbot.settings import KnowledgeSettings

    knowledge_settings = KnowledgeSettings()
    sys.exit(_check(knowledge_settings.docs_dir, knowledge_settings.chunk_max_chars))
