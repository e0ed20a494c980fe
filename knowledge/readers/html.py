"""HTML pages: BeautifulSoup (lxml when installed, else the standard library's ``html.parser``).

The page's ``main`` (or ``article``, or ``body``) is walked in document order: ``h1``–``h4`` become
Markdown headings (the first ``h1`` is the title; the other heading levels are ranked, so a page whose
sections are ``h3`` still gets ``##`` sections), paragraphs and other blocks become paragraphs, list
items ``- `` items, table rows ``- header: value; …`` lines. Scripts, styles, navigation, footers,
forms and anything hidden (``hidden``, ``aria-hidden="true"``, icon fonts) are dropped.
"""

from __future__ import annotations

import importlib.util
import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from knowledge.errors import DocumentError
from knowledge.readers import Extracted

PARSER = "lxml" if importlib.util.find_spec("lxml") else "html.parser"
HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
_DROPPED = ("script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "form", "button",
            "iframe", "object", "canvas", "select", "input", "textarea", "head", "dialog")
_BLOCKS = {"p", "div", "section", "article", "main", "header", "blockquote", "pre", "figure", "figcaption",
           "address", "details", "summary", "dl", "dt", "dd", "h5", "h6", "body", "html", "center", "hr"}
_ICON_CLASS_PREFIXES = ("material-icons", "material-symbols", "glyphicon")
_ICON_CLASSES = {"fa", "fas", "far", "fab", "icon", "icons"}
_DATE_META = ("article:modified_time", "og:updated_time", "last-modified", "dcterms.modified", "dc.date.modified",
              "article:published_time", "dcterms.date", "dc.date", "date")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)


_SUPERSCRIPT = str.maketrans("0123456789+-−=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿ")
_SUPERSCRIPTABLE = set("0123456789+-−=()n")


def _squash(text: str) -> str:
    return " ".join(text.split())


def _superscript(text: str) -> str:
    """``10<sup>9</sup>`` → ``10⁹``; other superscripts (``1<sup>st</sup>``, ``®``) stay as they are."""
    text = "".join(text.split())
    return text.translate(_SUPERSCRIPT) if text and set(text) <= _SUPERSCRIPTABLE else text


def _visible_text(node: Tag) -> str:
    """Text of an element without its hidden parts (icon ligatures, ``aria-hidden``) and comments."""
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, _SKIPPED_STRINGS):
            continue
        if isinstance(child, NavigableString):
            parts.append(str(child))
        elif isinstance(child, Tag) and not _is_hidden(child) and child.name not in _DROPPED:
            inner = _visible_text(child)
            parts.append(_superscript(inner) if child.name == "sup" else inner)
            if child.name in _BLOCKS or child.name in {"br", "li", "td", "th"}:
                parts.append(" ")
    return "".join(parts)


def _is_hidden(tag: Tag) -> bool:
    if tag.attrs is None:
        return False
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    style = str(tag.get("style", "")).replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    classes = [str(name).lower() for name in tag.get("class") or []]
    return tag.name in {"i", "span"} and any(
        name in _ICON_CLASSES or name.startswith(_ICON_CLASS_PREFIXES) for name in classes)


class _Walker:
    """Collects ("heading", level, text) and ("text", prefix, text) blocks in document order."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, int | str, str]] = []
        self._inline: list[str] = []
        self._prefix = ""

    def flush(self) -> None:
        text = _squash("".join(self._inline))
        self._inline = []
        if text:
            self.blocks.append(("text", self._prefix, text))
            self._prefix = ""

    def walk(self, node: Tag, depth: int = 0) -> None:
        for child in node.children:
            if isinstance(child, _SKIPPED_STRINGS):
                continue
            if isinstance(child, NavigableString):
                self._inline.append(str(child))
                continue
            if not isinstance(child, Tag) or _is_hidden(child):
                continue
            name = child.name
            if name in HEADING_LEVELS:
                self.flush()
                text = _squash(_visible_text(child))
                if text:
                    self.blocks.append(("heading", HEADING_LEVELS[name], text))
            elif name in {"ul", "ol"}:
                self.flush()
                self._list(child, depth)
            elif name == "li":
                self.flush()
                self._prefix = "  " * depth + "- "
                self.walk(child, depth + 1)
                self.flush()
            elif name == "table":
                self.flush()
                self._table(child)
            elif name == "br":
                self._inline.append(" ")
            elif name == "sup":
                self._inline.append(_superscript(_visible_text(child)))
            elif name in _BLOCKS:
                self.flush()
                self.walk(child, depth)
                self.flush()
            else:
                self.walk(child, depth)

    def _list(self, node: Tag, depth: int) -> None:
        items = [c for c in node.children if isinstance(c, Tag) and c.name == "li" and not _is_hidden(c)]
        for number, item in enumerate(items, start=1):
            marker = f"{number}." if node.name == "ol" else "-"
            self.flush()
            self._prefix = "  " * depth + marker + " "
            self.walk(item, depth + 1)
            self.flush()
            self._prefix = ""

    def _table(self, table: Tag) -> None:
        caption = table.find("caption")
        if caption is not None:
            self.blocks.append(("text", "", _squash(_visible_text(caption))))
        header: list[str] = []
        for row in table.find_all("tr"):
            cells = [c for c in row.find_all(["th", "td"]) if c.find_parent("tr") is row]
            texts = [_squash(_visible_text(c)) for c in cells]
            if not any(texts):
                continue
            if not header and cells and all(c.name == "th" for c in cells) and len(cells) > 1:
                header = texts
                continue
            if len(texts) == 2:
                line = f"{texts[0]}: {texts[1]}" if all(texts) else texts[0] or texts[1]
            elif header and len(header) == len(texts):
                line = "; ".join(f"{h}: {t}" if h else t for h, t in zip(header, texts, strict=True) if t)
            else:
                line = "; ".join(t for t in texts if t)
            self.blocks.append(("text", "- ", line))


def _page_date(soup: BeautifulSoup) -> str | None:
    for meta in soup.find_all("meta"):
        key = str(meta.get("property") or meta.get("name") or meta.get("http-equiv") or "").lower()
        if key in _DATE_META:
            match = _ISO_DATE.search(str(meta.get("content", "")))
            if match:
                return match.group()
    return None


def _render(blocks: list[tuple[str, int | str, str]], fallback_title: str | None) -> tuple[str, str | None]:
    headings = [(i, level) for i, (kind, level, _text) in enumerate(blocks) if kind == "heading"]
    title_at = next((i for i, level in headings if level == 1), None)
    title = blocks[title_at][2] if title_at is not None else fallback_title
    ranks = {level: rank for rank, level in enumerate(sorted({lvl for i, lvl in headings if i != title_at}))}
    lines: list[str] = []
    if title:
        lines += [f"# {title}", ""]
    for i, (kind, value, text) in enumerate(blocks):
        if i == title_at:
            continue
        if kind == "heading":
            lines += ["", "#" * (ranks[value] + 2) + " " + text, ""]
        else:
            if not value and lines and lines[-1]:  # a paragraph after list items starts a new block
                lines.append("")
            lines.append(f"{value}{text}")
            if not value:  # paragraphs are separated; list items stay together
                lines.append("")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n", title


def html_to_markdown(raw: bytes) -> Extracted:
    """An HTML page → Markdown with its headings as ``#``/``##`` headings (the encoding is detected)."""
    try:
        soup = BeautifulSoup(raw, PARSER)
    except Exception as exc:  # the parsers are lenient; anything they still reject is an unreadable file
        raise DocumentError(f"not readable HTML ({exc.__class__.__name__})") from exc
    title_tag = soup.find("title")
    page_title = _squash(title_tag.get_text(" ")).split(" | ")[0].strip() if title_tag else ""  # "Page | Site"
    date = _page_date(soup)
    for tag in soup.find_all(_DROPPED):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    if root is not soup and not any(kind == "heading" and level == 1 for kind, level, _ in walker.blocks):
        outside = soup.find("h1")
        if outside is not None and _squash(_visible_text(outside)):
            page_title = _squash(_visible_text(outside))
    markdown, title = _render(walker.blocks, page_title or None)
    return Extracted(markdown=markdown, title=title, date=date, metadata={"parser": PARSER})
