"""Section-aware chunking: split on headings, then pack whole sentences up to a size limit.

A chunk never cuts a sentence and never crosses a heading. Its id is a hash of its content and
location, so the same documents and settings always give the same chunks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from knowledge.documents import Document
from knowledge.sentences import markdown_paragraphs, split_sentences

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage with everything needed to cite it."""

    chunk_id: str
    trial_id: str
    source: str
    title: str
    section: str
    version: str
    text: str
    sentences: tuple[str, ...]
    bulleted: tuple[int, ...] = ()  # positions in ``sentences`` of the sentences that are bullet-list items

    def to_dict(self) -> dict:
        data = asdict(self)
        data["sentences"] = list(self.sentences)
        data["bulleted"] = list(self.bulleted)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        return cls(**{**data, "sentences": tuple(data["sentences"]), "bulleted": tuple(data.get("bulleted", ()))})


def _sections(document: Document) -> Iterable[tuple[str, str]]:
    """Yield (section path, block text) for each heading-delimited block of the body."""
    path: list[tuple[int, str]] = []
    lines: list[str] = []

    def current_path() -> str:
        inner = [title for level, title in path if level > 1]
        return SECTION_SEPARATOR.join([document.section, *inner])

    for line in document.body.splitlines():
        match = _HEADING.match(line)
        if match:
            yield current_path(), "\n".join(lines)
            lines = []
            level = len(match.group(1))
            path = [(lvl, title) for lvl, title in path if lvl < level] + [(level, match.group(2))]
        else:
            lines.append(line)
    yield current_path(), "\n".join(lines)


def _chunk_id(document: Document, section: str, text: str) -> str:
    key = "\x1f".join((document.trial_id, document.source, section, text))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def chunk_document(document: Document, max_chars: int) -> list[Chunk]:
    """Chunks of one document, each within one section and at most ``max_chars`` (a longer
    single sentence becomes a chunk of its own)."""
    chunks: list[Chunk] = []
    for section, block in _sections(document):
        sentences = [(sentence, paragraph.bulleted) for paragraph in markdown_paragraphs(block)
                     for sentence in split_sentences(paragraph.text)]
        group: list[tuple[str, bool]] = []
        for sentence, bulleted in sentences:
            if group and len(" ".join([*(text for text, _ in group), sentence])) > max_chars:
                chunks.append(_make_chunk(document, section, group))
                group = []
            group.append((sentence, bulleted))
        if group:
            chunks.append(_make_chunk(document, section, group))
    return chunks


def _make_chunk(document: Document, section: str, group: list[tuple[str, bool]]) -> Chunk:
    sentences = [sentence for sentence, _ in group]
    text = " ".join(sentences)
    return Chunk(
        chunk_id=_chunk_id(document, section, text),
        trial_id=document.trial_id,
        source=document.source,
        title=document.title,
        section=section,
        version=document.version,
        text=text,
        sentences=tuple(sentences),
        bulleted=tuple(position for position, (_, bulleted) in enumerate(group) if bulleted),
    )


def section_heading(chunk: Chunk) -> str:
    """The innermost heading of a chunk's section path (the document's section when it has none)."""
    return chunk.section.split(SECTION_SEPARATOR)[-1]


def sentence_owners(chunks: list[Chunk]) -> np.ndarray:
    """The chunk position of every sentence, in the order the index stores sentence rows."""
    return np.repeat(np.arange(len(chunks)), [len(chunk.sentences) for chunk in chunks])


def chunk_documents(documents: Iterable[Document], max_chars: int) -> list[Chunk]:
    """Chunks of all documents with empty and duplicate passages dropped (first one kept)."""
    seen_text: set[tuple[str, str]] = set()
    result: list[Chunk] = []
    for document in documents:
        for chunk in chunk_document(document, max_chars):
            key = (chunk.trial_id, " ".join(chunk.text.lower().split()))
            if not chunk.text.strip() or key in seen_text:
                continue
            seen_text.add(key)
            result.append(chunk)
    return result
