"""Reading the documents a trial team brings, into ``Document`` records the chunker can split.

Formats (by file extension): Markdown (``.md``, with or without front matter), plain text (``.txt``),
HTML (``.html``/``.htm``), PDF (``.pdf``) and ClinicalTrials.gov API v2 study records (``.json``).
Every reader's text goes through ``knowledge.encoding_repair`` (ftfy, then the mojibake map).

A file without front matter becomes one ``Document`` per top-level section: the section is the
heading, the title is the file's title, deeper headings stay in the body as ``##``/``###`` headings
(so citations read "Eligibility Criteria (page title)" rather than a path through the page). A
registry record becomes one document per module (``knowledge.readers.ctgov``). The trial id comes
from the registry record, else the first ``NCT`` number in the file name, else the ``NCT`` number the
text names most often, else ``unknown``. The version is the date the file states (registry update
date, HTML ``<meta>`` date, PDF modification date), else ``sha256:`` and the start of the content hash.

An unsupported, unreadable or empty file raises ``DocumentError`` with the reason;
``knowledge.build.collect_documents`` reports it by name and indexes the rest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from knowledge.documents import Document, content_hash, document_from_markdown, split_front_matter
from knowledge.encoding_repair import repair_text
from knowledge.errors import DocumentError
from knowledge.readers import Extracted

SUPPORTED_SUFFIXES: dict[str, str] = {
    ".md": "markdown", ".markdown": "markdown",
    ".txt": "text", ".text": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".pdf": "pdf",
    ".json": "clinicaltrials.gov",
}
UNKNOWN_TRIAL = "unknown"
DEFAULT_SECTION = "Overview"
NCT_ID = re.compile(r"NCT\d{8}", re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def detect_trial_id(file_name: str, text: str) -> str:
    """``NCT…`` from the file name, else the one the text names most often (first on a tie), else unknown."""
    named = NCT_ID.search(file_name)
    if named:
        return named.group().upper()
    counts = Counter(match.upper() for match in NCT_ID.findall(text))
    return counts.most_common(1)[0][0] if counts else UNKNOWN_TRIAL


def has_text(document: Document) -> bool:
    """True when the body has a line that is neither blank nor a heading."""
    return any(line.strip() and not _HEADING.match(line) for line in document.body.splitlines())


def split_sections(markdown: str) -> tuple[str | None, list[tuple[str | None, str]]]:
    """(title, [(heading or None for the text before the first one, body)]) of a Markdown text.

    A level-1 heading before any text is the title. The highest remaining heading level splits the
    sections; deeper levels are ranked and written ``##``, ``###``… inside each section's body.
    """
    lines = markdown.splitlines()
    heads = [(i, len(m.group(1)), m.group(2)) for i, line in enumerate(lines) if (m := _HEADING.match(line))]
    title = None
    if heads and heads[0][1] == 1 and not any(line.strip() for line in lines[:heads[0][0]]):
        title = heads[0][2]
        lines[heads[0][0]] = ""
        heads = heads[1:]
    ranks = {level: rank for rank, level in enumerate(sorted({level for _i, level, _t in heads}))}
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    by_line = {i: (level, text) for i, level, text in heads}
    for i, line in enumerate(lines):
        if i in by_line:
            level, text = by_line[i]
            if ranks[level] == 0:
                sections.append((text, []))
                continue
            line = "#" * (ranks[level] + 1) + " " + text
        sections[-1][1].append(line)
    return title, [(heading, "\n".join(body).strip() + "\n") for heading, body in sections]


def _humanize_stem(path: Path) -> str:
    return " ".join(re.sub(r"[_\-]+", " ", path.stem).split()) or path.name


def documents_from_extracted(extracted: Extracted, path: Path, raw: bytes, source: str, kind: str
                             ) -> list[Document]:
    """One document per top-level section of a reader's Markdown (empty sections are left out)."""
    found_title, sections = split_sections(extracted.markdown)
    title = extracted.title or found_title or _humanize_stem(path)
    trial_id = detect_trial_id(path.name, extracted.markdown)
    version = extracted.date or f"sha256:{content_hash(raw)[:12]}"
    documents = []
    for position, (heading, body) in enumerate(sections):
        metadata = {"format": kind, "position": position, **extracted.metadata}
        document = Document(trial_id=trial_id, title=title, section=heading or DEFAULT_SECTION, version=version,
                            source=source, body=body, metadata=metadata)
        if has_text(document):
            documents.append(document)
    return documents


def _markdown_documents(path: Path, raw: bytes, source: str) -> list[Document]:
    from knowledge.readers.text import decode_text

    text = repair_text(decode_text(raw))
    metadata, body = split_front_matter(text, source)
    if not metadata:
        return documents_from_extracted(Extracted(markdown=body), path, raw, source, "markdown")
    title, _sections = split_sections(body)
    defaults = {"trial_id": detect_trial_id(path.name, body), "title": title or _humanize_stem(path),
                "version": f"sha256:{content_hash(raw)[:12]}"}
    defaults["section"] = metadata.get("title") or defaults["title"]
    return [document_from_markdown(text, source, defaults=defaults)]


def read_source(path: Path, raw: bytes, source: str | None = None) -> list[Document]:
    """Documents from one file; an unsupported, unreadable or empty file raises DocumentError with the reason.

    ``source`` is the name the documents cite (default: the path as given).
    """
    source = source or str(path)
    suffix = path.suffix.lower()
    kind = SUPPORTED_SUFFIXES.get(suffix)
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(f"unsupported file type {suffix or '(no extension)'} (supported: {supported})")
    if not raw.strip():
        raise DocumentError("the file is empty")
    if kind == "clinicaltrials.gov":
        from knowledge.readers.ctgov import ctgov_documents

        documents = ctgov_documents(raw, source)
    elif kind == "markdown":
        documents = _markdown_documents(path, raw, source)
    else:
        documents = documents_from_extracted(_extract(kind, raw), path, raw, source, kind)
    documents = [d for d in documents if has_text(d)]
    if not documents:
        raise DocumentError("no text to index in the file")
    return documents


def _extract(kind: str, raw: bytes) -> Extracted:
    if kind == "text":
        from knowledge.readers.text import decode_text, text_to_markdown

        return text_to_markdown(repair_text(decode_text(raw)))
    if kind == "html":
        from knowledge.readers.html import html_to_markdown

        page = html_to_markdown(raw)
        title = repair_text(page.title) if page.title else None
        return Extracted(repair_text(page.markdown), title, page.date, page.metadata)
    from knowledge.readers.pdf import pdf_to_markdown

    return pdf_to_markdown(raw)  # repairs each line before finding headings


def _hidden(relative: Path) -> bool:
    return any(part.startswith((".", "~$")) or part == "__pycache__" for part in relative.parts)


def expand_sources(paths: Iterable[Path]) -> list[Path]:
    """Files to read: a directory gives every file below it (sorted, hidden files left out), supported
    or not, so that unsupported ones are reported; a file or a missing path is passed through."""
    result: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            result.extend(sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p.relative_to(path))))
        else:
            result.append(path)
    return result
