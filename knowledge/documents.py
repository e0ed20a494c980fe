"""Trial documents: Markdown files with YAML front matter, loaded into ``Document`` records."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.errors import DocumentError

REQUIRED_METADATA = ("trial_id", "title", "section", "version")


@dataclass(frozen=True)
class Document:
    """One source document of one trial; ``body`` is Markdown without the front matter."""

    trial_id: str
    title: str
    section: str
    version: str
    source: str
    body: str
    metadata: dict = field(default_factory=dict, compare=False)


def content_hash(data: bytes) -> str:
    """Hex SHA-256 of raw bytes, used for chunk ids and the manifest's source hashes."""
    return hashlib.sha256(data).hexdigest()


def split_front_matter(text: str, source: str) -> tuple[dict, str]:
    """Return (metadata, body) for a Markdown text that starts with a ``---`` YAML block."""
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        raise DocumentError(f"{source}: front matter is not closed with '---'")
    try:
        metadata = yaml.safe_load(text[3:end]) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(f"{source}: front matter is not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(metadata, dict):
        raise DocumentError(f"{source}: front matter must be a mapping")
    return metadata, text[end + 4 :].lstrip("\n")


def document_from_markdown(text: str, source: str, defaults: dict | None = None) -> Document:
    """Build a Document from Markdown text; ``defaults`` fill metadata the file does not give."""
    metadata, body = split_front_matter(text, source)
    merged = {**(defaults or {}), **metadata}
    missing = [key for key in REQUIRED_METADATA if not merged.get(key)]
    if missing:
        raise DocumentError(f"{source}: missing metadata {', '.join(missing)}")
    return Document(
        trial_id=str(merged["trial_id"]),
        title=str(merged["title"]),
        section=str(merged["section"]),
        version=str(merged["version"]),
        source=source,
        body=body,
        metadata=merged,
    )


def trial_document_paths(docs_dir: Path) -> list[Path]:
    """All Markdown documents below ``docs_dir`` (``<trial>/docs/*.md``), sorted for determinism."""
    return sorted(path for path in docs_dir.glob("*/docs/*.md") if path.is_file())
