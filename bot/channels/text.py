"""Fitting the bot's replies to a messaging channel: long texts split within the channel's limit, and the
widget-only custom payloads (citations, the screening result) turned into what a text channel can show.

Pure functions with no Rasa import, so the unit tests run in the project's main environment.
"""

from __future__ import annotations

import re
from typing import Any

# Boundaries to split at, best first: paragraphs, lines, sentences (Latin and CJK punctuation), words.
_BOUNDARIES = (
    r"\n\s*\n",
    r"\n",
    r"(?<=[.!?;:])\s+|(?<=[。！？；])",
    r"\s+",
)
# Custom payload keys that only the website widget understands; a messaging channel gets text instead.
WIDGET_KEYS = frozenset({"citations", "screening"})


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, broken at the best boundary that fits.

    Paragraphs and lines are kept whole where they fit, then sentences, then words; a single word
    longer than the limit is cut. Pieces are stripped; an empty text gives no pieces.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    text = text.strip()
    if not text:
        return []
    return [piece for piece in _split(text, limit, 0) if piece]


def _split(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return [text[start:start + limit] for start in range(0, len(text), limit)]
    parts = re.split(f"({_BOUNDARIES[level]})", text)  # unit, separator, unit, ..., unit
    pieces: list[str] = []
    current = ""
    for index in range(0, len(parts), 2):
        unit = parts[index]
        joined = current + parts[index - 1] + unit if current else unit
        if len(joined.strip()) <= limit:
            current = joined
            continue
        if current.strip():
            pieces.append(current.strip())
        unit = unit.strip()
        if len(unit) <= limit:
            current = unit
        else:
            smaller = _split(unit, limit, level + 1)
            pieces.extend(smaller[:-1])
            current = smaller[-1]
    if current.strip():
        pieces.append(current.strip())
    return pieces


def sources_text(custom: Any) -> str | None:
    """"Sources: <document> — <section>; ..." for an answer's citations, or None when there are none."""
    if not isinstance(custom, dict) or not isinstance(custom.get("citations"), list):
        return None
    labels: list[str] = []
    for citation in custom["citations"]:
        if not isinstance(citation, dict):
            continue
        label = str(citation.get("source") or "Trial document")
        if citation.get("section"):
            label += f" — {citation['section']}"
        if label not in labels:
            labels.append(label)
    return "Sources: " + "; ".join(labels) if labels else None


def for_text_channel(custom: Any) -> tuple[str | None, Any]:
    """Splits a custom payload into text to send (the sources) and what is left for the provider itself.

    The widget-only keys are dropped (the screening summary is already in the message's text); anything
    else (for example a provider-specific payload written on purpose) is returned untouched.
    """
    if not isinstance(custom, dict):
        return None, custom
    rest = {key: value for key, value in custom.items() if key not in WIDGET_KEYS}
    return sources_text(custom), (rest or None)
