"""Sentence splitting that respects abbreviations, decimals and list items."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = (
    "e.g.", "i.e.", "etc.", "vs.", "Prof.", "Dr.", "approx.", "No.", "Fig.", "al.", "Co.", "Ltd.", "St.", "Mr.",
    "Mrs.", "Ms.", "Jr.", "Inc.", "U.S.", "min.", "max.",
)
_PLACEHOLDER = "\u2024"  # one-dot leader: stands in for protected dots while splitting
# An abbreviation is a whole word: "trial." and "hospital." end sentences even though "al." is listed.
_ABBREVIATION = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + ")")
# A sentence ends after its final punctuation and any closing quotes or brackets, which stay with it.
_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_BULLET = re.compile(r"^\s*[-*+•]\s+")


def _protect(text: str) -> str:
    text = _ABBREVIATION.sub(lambda match: match.group(0).replace(".", _PLACEHOLDER), text)
    return re.sub(r"(?<=\d)\.(?=\d)", _PLACEHOLDER, text)


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph (or list item) into sentences; never returns empty strings."""
    text = " ".join(paragraph.split())
    if not text:
        return []
    protected = _protect(text)
    cuts = [0, *(match.end() for match in _BOUNDARY.finditer(protected)), len(protected)]
    parts = (protected[start:stop] for start, stop in zip(cuts, cuts[1:], strict=False))
    return [part.replace(_PLACEHOLDER, ".").strip() for part in parts if part.strip()]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a Markdown block; ``bulleted`` for a ``-``/``*``/``+``/``•`` list item (numbered items
    are separate statements, such as numbered criteria, not parts of one list)."""

    text: str
    bulleted: bool = False


def markdown_paragraphs(block: str) -> list[Paragraph]:
    """Split a Markdown block into paragraphs; each list item is a paragraph of its own."""
    result: list[Paragraph] = []
    current: list[str] = []
    bulleted = False

    def close() -> None:
        if current and " ".join(current).strip():
            result.append(Paragraph(" ".join(current), bulleted))
        current.clear()

    for line in block.splitlines():
        if not line.strip():
            close()
            bulleted = False
        elif _LIST_ITEM.match(line):
            close()
            bulleted = bool(_BULLET.match(line))
            current.append(_LIST_ITEM.sub("", line, count=1))
        else:
            current.append(line.strip())
    close()
    return result

