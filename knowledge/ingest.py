"""Reading documents a trial team brings (Markdown for now; more formats plug in here)."""

from __future__ import annotations

from pathlib import Path

from knowledge.documents import Document, document_from_markdown
from knowledge.errors import DocumentError


def read_source(path: Path, raw: bytes) -> list[Document]:
    """Documents from one file; an unsupported or unreadable file raises DocumentError with the reason."""
    suffix = path.suffix.lower()
    if suffix in {".md", ".markdown"}:
        return [document_from_markdown(raw.decode("utf-8"), str(path))]
    raise DocumentError(f"unsupported file type {suffix or '(none)'}")
