"""Sentence splitting that respects abbreviations, decimals and list items."""

from __future__ import annotations

import re

_ABBREVIATIONS = (
    "e.g.", "i.e.", "etc.", "vs.", "Prof.", "Dr.", "approx.", "No.", "Fig.", "al.", "Co.", "Ltd.", "St.", "Mr.",
    "Mrs.", "Ms.", "Jr.", "Inc.", "U.S.", "min.", "max.",
)
_PLACEHOLDER = "\u2024"  # one-dot leader: stands in for protected dots while splitting
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


def _protect(text: str) -> str:
    for abbreviation in _ABBREVIATIONS:
        text = text.replace(abbreviation, abbreviation.replace(".", _PLACEHOLDER))
    return re.sub(r"(?<=\d)\.(?=\d)", _PLACEHOLDER, text)


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph (or list item) into sentences; never returns empty strings."""
    text = " ".join(paragraph.split())
    if not text:
        return []
    parts = _BOUNDARY.split(_protect(text))
    return [part.replace(_PLACEHOLDER, ".").strip() for part in parts if part.strip()]


def paragraphs(block: str) -> list[str]:
    """Split a Markdown block into paragraphs; each list item is a paragraph of its own."""
    result: list[str] = []
    current: list[str] = []
    for line in block.splitlines():
        if not line.strip():
            if current:
                result.append(" ".join(current))
                current = []
        elif _LIST_ITEM.match(line):
            if current:
                result.append(" ".join(current))
            current = [_LIST_ITEM.sub("", line, count=1)]
        else:
            current.append(line.strip())
    if current:
        result.append(" ".join(current))
    return [p for p in result if p.strip()]
