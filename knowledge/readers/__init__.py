"""Readers for the file formats a trial team brings; each turns raw bytes into a Markdown-like text.

A reader returns an ``Extracted``: a body in which headings are Markdown headings (``#`` for the
document title, ``##`` and deeper for sections), the title if the file states one, and a date if
the file carries one. ``knowledge.ingest`` turns that into ``Document`` records. The ClinicalTrials.gov
reader (``ctgov``) builds its documents itself, one per registry module.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Extracted:
    """What a reader found in one file."""

    markdown: str
    title: str | None = None
    date: str | None = None  # ISO date (YYYY-MM-DD) the file itself states, if any
    metadata: dict = field(default_factory=dict)
