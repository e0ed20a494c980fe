"""Sentence splitting that respects abbreviations, decimals and list items."""

from __future__ import annotations

import re

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
