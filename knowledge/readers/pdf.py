"""PDF files: text with pypdf, headings from font sizes when the layout shows them.

Each text line is read with the size (and weight) of its font. When some short lines are set clearly
larger than the body text, those are the headings (the largest near the top of the first page is the
title, the other sizes are ranked into ``##``, ``###``…), plus short bold lines standing alone. A PDF
without such size differences falls back to the plain-text heading heuristics. Running headers and
footers (the same line on most pages) and page numbers are dropped. A PDF without a text layer (a
scan) is reported, not indexed empty.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass

from knowledge.encoding_repair import repair_text
from knowledge.errors import DocumentError
from knowledge.readers import Extracted
from knowledge.readers.text import is_list_item, is_title_like, lines_to_markdown

HEADING_SIZE_RATIO = 1.15
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d+(?:\s*(?:of|/)\s*\d+)?$", re.IGNORECASE)
# Bullets that PDF fonts (Symbol, Wingdings, Helvetica's DEL slot) extract as odd characters.
_ODD_BULLETS = str.maketrans({"\x7f": "•", "\uf0b7": "•", "\uf0a7": "▪", "\uf076": "•", "\uf0d8": "•"})
_UNTITLED = {"", "untitled", "untitled document", "(anonymous)", "(unspecified)"}


@dataclass
class _Line:
    text: str
    size: float
    bold: bool
    margin: bool = False  # in the top or bottom tenth of the page, where running headers and footers are


def _page_lines(page) -> list[_Line]:
    """The page's lines with the font size (by characters) and weight that most of each line has."""
    lines: list[_Line] = []
    sizes: Counter[float] = Counter()
    bold_chars = 0
    current: list[str] = []
    heights: list[float] = []
    try:
        bottom, top = float(page.mediabox.bottom), float(page.mediabox.top)
    except Exception:  # a page without a usable media box: no margin detection
        bottom, top = 0.0, 0.0

    def visit(text: str, cm, tm, font_dict, font_size) -> None:
        nonlocal bold_chars
        if text.strip():
            heights.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])  # the baseline in page space
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]) or 1.0
        size = round(float(font_size or 0) * scale, 1)
        font = str((font_dict or {}).get("/BaseFont", ""))
        pieces = text.split("\n")
        for number, piece in enumerate(pieces):
            if number:
                _end_line()
            current.append(piece)
            visible = len(piece.strip())
            sizes[size] += visible
            if "bold" in font.lower() or "black" in font.lower():
                bold_chars += visible

    def _end_line() -> None:
        nonlocal bold_chars
        text = "".join(current)
        if text.strip():
            size = sizes.most_common(1)[0][0] if sizes else 0.0
            margin = top > bottom and bool(heights) and not (
                bottom + 0.1 * (top - bottom) < heights[0] < top - 0.1 * (top - bottom))
            lines.append(_Line(text.strip(), size, bold_chars * 2 > len(text.strip()), margin))
        current.clear()
        sizes.clear()
        heights.clear()
        bold_chars = 0

    page.extract_text(visitor_text=visit)
    _end_line()
    return lines


def _drop_running_lines(pages: list[list[_Line]]) -> list[_Line]:
    """All lines in order, without the page margins' page numbers and running headers and footers
    (margin lines that recur, digits aside, on most pages)."""
    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())

    repeated: set[str] = set()
    if len(pages) >= 3:
        counts = Counter(k for page in pages for k in {key(line) for line in page if line.margin})
        repeated = {k for k, n in counts.items() if n >= max(3, 0.6 * len(pages))}
    return [line for page in pages for line in page
            if not (line.margin and (_PAGE_NUMBER.match(line.text) or key(line) in repeated))]


def _merge(lines: list[_Line], heading_size: float | None) -> list[_Line]:
    """Join wrapped heading lines of the same size, and words hyphenated across two lines."""
    merged: list[_Line] = []
    for line in lines:
        if merged:
            last = merged[-1]
            same_heading = (heading_size is not None and line.size >= heading_size and line.size == last.size
                            and not last.text.endswith((".", "?", ":")))
            hyphenated = re.search(r"[A-Za-z]-$", last.text) and line.text[:1].islower()
            if same_heading or hyphenated:
                joiner = "" if hyphenated else " "
                merged[-1] = _Line(last.text + joiner + line.text, last.size, last.bold)
                continue
        merged.append(line)
    return merged


def _layout_headings(lines: list[_Line], body: float) -> dict[int, int] | None:
    """Line index → heading level (1 = title) from font sizes, or None if sizes show no headings."""
    big = {i for i, line in enumerate(lines)
           if line.size >= body * HEADING_SIZE_RATIO and is_title_like(line.text, 160, 20)}
    if not big:
        return None
    levels: dict[int, int] = {}
    top = [i for i in big if i < 8]  # the title is set large near the top of the first page
    title = max(top, key=lambda i: (lines[i].size, -i)) if top else None
    if title is not None:
        levels[title] = 1
    ranked = sorted({lines[i].size for i in big if i != title}, reverse=True)
    for i in big - {title}:
        levels[i] = 2 + ranked.index(lines[i].size)
    for i, line in enumerate(lines):  # short bold lines at body size standing alone: the lowest level
        prev_closed = i == 0 or lines[i - 1].text.endswith((".", "?", "!", ":")) or i - 1 in levels
        if (i not in levels and line.bold and abs(line.size - body) < 0.5 and prev_closed
                and not is_list_item(line.text) and is_title_like(line.text)):
            levels[i] = 2 + len(ranked)
    return levels


def _pdf_date(reader) -> str | None:
    try:
        stamp = reader.metadata.modification_date or reader.metadata.creation_date if reader.metadata else None
    except Exception:  # malformed date strings are common and harmless
        return None
    return stamp.date().isoformat() if stamp else None


def pdf_to_markdown(raw: bytes) -> Extracted:
    """A PDF → Markdown with ``#``/``##`` headings; unreadable, encrypted or image-only PDFs raise."""
    from pypdf import PdfReader

    if b"%PDF-" not in raw[:1024]:
        raise DocumentError("not a PDF file (no %PDF- header)")
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # a damaged file is reported once, by name, not as pages of warnings
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("the PDF is protected by a password")
        pages = [_page_lines(page) for page in reader.pages]
        meta_title = str(reader.metadata.title or "").strip() if reader.metadata else ""
        date = _pdf_date(reader)
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many types (PdfReadError, ValueError, KeyError…) on damage
        detail = str(exc).splitlines()[0][:160] if str(exc) else exc.__class__.__name__
        raise DocumentError(f"not a readable PDF ({detail})") from exc
    finally:
        pypdf_log.setLevel(level)
    lines = _drop_running_lines(pages)
    for line in lines:
        line.text = repair_text(line.text.translate(_ODD_BULLETS)).strip()
    lines = [line for line in lines if line.text]
    if not lines:
        raise DocumentError("no text found in the PDF (a scanned PDF needs OCR first)")
    body: Counter[float] = Counter()
    for line in lines:
        body[line.size] += len(line.text)
    body_size = body.most_common(1)[0][0]
    lines = _merge(lines, body_size * HEADING_SIZE_RATIO)
    layout = _layout_headings(lines, body_size)
    markdown, title = lines_to_markdown([line.text for line in lines], layout)
    if not title and meta_title.lower() not in _UNTITLED:
        title = meta_title
    return Extracted(markdown=markdown, title=title, date=date, metadata={"pages": len(pages)})
