"""Plain text: decoding, and finding headings in text that has no markup.

A heading is a short, title-like line: it starts with a capital letter or a digit, has no final full
stop (a question mark is fine: FAQ questions are headings), is not a list item, is mostly words, is
much shorter than the text's paragraph lines, and does not sit inside a paragraph (the line before it
does not run on, the line after it does not start in lower case). The first such line is the title.
"""

from __future__ import annotations

import re
import statistics

from bs4 import UnicodeDammit

from knowledge.errors import DocumentError
from knowledge.readers import Extracted

HEADING_MAX_CHARS = 100
TITLE_MAX_CHARS = 160
HEADING_MAX_WORDS = 14
TITLE_MAX_WORDS = 20
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|\(\d+\)\s+|[a-z][.)]\s+)")
# Bullet characters that become a Markdown "- "; check and cross marks are kept after the dash.
_BULLET = re.compile(r"^(\s*)[•·▪▫◦●○■□►▸‣⁃–]\s*")
_MARK_BULLET = re.compile(r"^(\s*)([✓✔✗✘☐☑☒])\s*")
_CLOSED = re.compile(r"""[.!?;:…][\"'”’)\]]*$""")
_NOT_IN_HEADING = set("≥≤<>=%|@")


def decode_text(raw: bytes) -> str:
    """Text of a file: UTF-8 (with or without BOM), UTF-16 with a BOM, else the detected encoding."""
    if not raw.strip():
        raise DocumentError("the file is empty")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"not valid UTF-16 text ({exc.reason})") from exc
    if b"\x00" in raw[:8192]:
        raise DocumentError("binary content, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    guessed = UnicodeDammit(raw, ["utf-8", "windows-1252"]).unicode_markup
    if guessed is None:
        raise DocumentError("the text encoding could not be recognised")
    return guessed


def normalise_bullet(line: str) -> str:
    """``• item``, ``– item``, ``✓ item`` → ``- item`` (a check or cross mark is kept)."""
    marked = _MARK_BULLET.match(line)
    if marked:
        return f"{marked.group(1)}- {marked.group(2)} {line[marked.end():]}"
    match = _BULLET.match(line)
    if match and line[match.end():].strip():
        return f"{match.group(1)}- {line[match.end():]}"
    return line


def is_list_item(line: str) -> bool:
    return _LIST_ITEM.match(line) is not None


def is_title_like(line: str, max_chars: int = HEADING_MAX_CHARS, max_words: int = HEADING_MAX_WORDS) -> bool:
    """A short line that reads like a heading, not like a sentence, a list item or a number."""
    text = line.strip()
    if not 3 <= len(text) <= max_chars or is_list_item(text):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    words = text.split()
    if len(words) > max_words or text[-1] in ".,;!…":
        return False
    if text.endswith(":") and len(words) > 6:
        return False
    if _NOT_IN_HEADING & set(text):
        return False
    visible = [c for c in text if not c.isspace()]
    return sum(c.isalpha() for c in visible) >= 0.6 * len(visible)


def _next_nonblank(lines: list[str], start: int) -> str | None:
    return next((line.strip() for line in lines[start:] if line.strip()), None)


def lines_to_markdown(lines: list[str], layout: dict[int, int] | None = None) -> tuple[str, str | None]:
    """Markdown from text lines and the title: the title line becomes ``#``, heading lines ``##``.

    ``layout`` (line index → heading level, 1 = the title) replaces the text heuristics, for readers
    that know from the page layout which lines are headings (PDF font sizes).
    """
    lines = [normalise_bullet(line.rstrip()) for line in lines]
    lengths = [len(line.strip()) for line in lines if line.strip()]
    if not lengths:
        return "", None
    typical = statistics.quantiles(lengths, n=10)[-1] if len(lengths) > 1 else lengths[0]
    heading_max = min(HEADING_MAX_CHARS, max(40, int(0.75 * typical)))
    first = next(i for i, line in enumerate(lines) if line.strip())
    out: list[str] = []
    title: str | None = None
    state = "blank"  # what the previous line was: blank | heading | closed | open (runs on)
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            out.append("")
            state = "heading" if state == "heading" else "blank"
            continue
        if layout is not None:
            level = layout.get(i, 0)
        else:
            follower = _next_nonblank(lines, i + 1)
            continues = follower is not None and follower[0].islower()
            if i == first and not continues and is_title_like(text, TITLE_MAX_CHARS, TITLE_MAX_WORDS):
                level = 1
            else:
                level = 2 if state != "open" and not continues and is_title_like(text, heading_max) else 0
        heading = text.rstrip(":").strip()
        if level == 1 and title is None:
            title = heading
            out.extend([f"# {title}", ""])
            state = "heading"
        elif level:
            out.extend(["", f"{'#' * max(level, 2)} {heading}", ""])
            state = "heading"
        else:
            out.append(line)
            state = "closed" if _CLOSED.search(text) or is_list_item(text) else "open"
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n", title


def text_to_markdown(text: str) -> Extracted:
    """Plain text → Markdown with ``##`` headings found by the heuristics above."""
    markdown, title = lines_to_markdown(text.splitlines())
    return Extracted(markdown=markdown, title=title)
