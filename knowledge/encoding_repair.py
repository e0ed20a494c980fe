"""Repairing broken text encodings in documents a trial team brings.

``repair_text`` first undoes Thai (TIS-620) mojibake that kept every byte, exactly; then runs ftfy
(ordinary mojibake such as ``â‰¥`` for ``≥``, HTML entities, odd line breaks); then repairs the lossy
Thai mojibake that neither can undo (bytes were dropped) from the map in ``mojibake.yml``; then removes
icon-font ligature names glued to the start of a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ftfy
import yaml

MOJIBAKE_MAP_PATH = Path(__file__).with_name("mojibake.yml")
CONTEXTS = ("anywhere", "list_item_start", "between_digits")
_THAI_RUN = re.compile(r"[\u0E00-\u0E7F]+")
_THAI_C1_RUN = re.compile(r"[\u0E00-\u0E7F\u0080-\u009F]*[\u0080-\u009F][\u0E00-\u0E7F\u0080-\u009F]*")
_BULLET_BEFORE = re.compile(r"(?:^|\n)[ \t]*[-*+•][ \t]*$")


@dataclass(frozen=True)
class MojibakeRule:
    seen: str
    meant: str
    context: str = "anywhere"


@dataclass(frozen=True)
class RepairMap:
    thai_rules: tuple[MojibakeRule, ...]
    icon_ligatures: tuple[str, ...]

    @property
    def sequences(self) -> list[str]:
        """The distinct mojibake sequences, longest first (for splitting a run into them)."""
        return sorted({rule.seen for rule in self.thai_rules}, key=len, reverse=True)


@lru_cache(maxsize=4)
def load_repair_map(path: Path = MOJIBAKE_MAP_PATH) -> RepairMap:
    """Read and check the map; a malformed file raises ValueError naming the entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rules = []
    for number, entry in enumerate(data.get("thai_windows_874") or [], start=1):
        if not isinstance(entry, dict) or not entry.get("seen") or "meant" not in entry:
            raise ValueError(f"{path.name}: thai_windows_874 entry {number} needs 'seen' and 'meant'")
        context = entry.get("context", "anywhere")
        if context not in CONTEXTS:
            raise ValueError(f"{path.name}: entry {number} has unknown context {context!r}")
        if _THAI_RUN.fullmatch(entry["seen"]) is None:
            raise ValueError(f"{path.name}: entry {number} 'seen' must be Thai-block characters only")
        rules.append(MojibakeRule(str(entry["seen"]), str(entry["meant"]), context))
    without_default = {r.seen for r in rules} - {r.seen for r in rules if r.context == "anywhere"}
    if without_default:
        raise ValueError(f"{path.name}: {', '.join(sorted(without_default))} need an entry without a context")
    ligatures = tuple(str(name) for name in data.get("icon_ligatures") or [])
    return RepairMap(tuple(rules), ligatures)


def _context_fits(context: str, before: str, after: str) -> bool:
    if context == "list_item_start":
        return _BULLET_BEFORE.search(before) is not None
    if context == "between_digits":
        return before[-1:].isdigit() and after[:1].isdigit()
    return True


def _split_run(run: str, sequences: list[str]) -> list[str] | None:
    """The run as a list of known sequences (longest match first), or None if it is not made of them."""
    parts: list[str] = []
    position = 0
    while position < len(run):
        match = next((s for s in sequences if run.startswith(s, position)), None)
        if match is None:
            return None
        parts.append(match)
        position += len(match)
    return parts


def repair_thai_mojibake(text: str, repair_map: RepairMap | None = None) -> str:
    """Replace runs of Thai letters that are entirely known mojibake sequences; leave other runs alone.

    When most Thai runs are not mojibake the text is taken to be real Thai and returned unchanged.
    """
    repair_map = repair_map or load_repair_map()
    runs = list(_THAI_RUN.finditer(text))
    if not runs:
        return text
    sequences = repair_map.sequences
    split = [(run, _split_run(run.group(), sequences)) for run in runs]
    if sum(parts is None for _run, parts in split) * 2 > len(split):
        return text
    out: list[str] = []
    last = 0
    for run, parts in split:
        out.append(text[last:run.start()])
        last = run.end()
        if parts is None:
            out.append(run.group())
            continue
        position = run.start()
        for part in parts:
            before = text[max(0, position - 80):position]
            after = text[position + len(part):position + len(part) + 1]
            rule = next(r for r in repair_map.thai_rules
                        if r.seen == part and _context_fits(r.context, before, after))
            # "✓ " before a word that already follows a space: do not double the space.
            out.append(rule.meant.rstrip(" ") if after == " " else rule.meant)
            position += len(part)
    out.append(text[last:])
    return "".join(out)


def repair_lossless_thai(text: str) -> str:
    """Undo Thai mojibake that kept every byte (the bytes 0x80–0x9F survive as C1 control characters):
    such a run encodes back to TIS-620 exactly and decodes as UTF-8. Runs that do not are left alone.
    This runs before ftfy, which would read the control characters as Windows-1252."""

    def undo(match: re.Match[str]) -> str:
        try:
            return match.group().encode("tis_620").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return match.group()

    return _THAI_C1_RUN.sub(undo, text)


def strip_icon_ligatures(text: str, repair_map: RepairMap | None = None) -> str:
    """Remove icon names such as ``check_circle`` glued to the capital letter that starts a line."""
    names = (repair_map or load_repair_map()).icon_ligatures
    if not names:
        return text
    pattern = re.compile(r"(?m)^([ \t]*)(?:" + "|".join(map(re.escape, names)) + r")(?=[A-Z])")
    return pattern.sub(r"\1", text)


def repair_text(text: str, repair_map: RepairMap | None = None) -> str:
    """Lossless Thai mojibake, then ftfy (keeping curly quotes), then the lossy Thai mojibake map, then
    icon ligatures."""
    repair_map = repair_map or load_repair_map()
    fixed = ftfy.fix_text(repair_lossless_thai(text), uncurl_quotes=False)
    fixed = repair_thai_mojibake(fixed, repair_map)
    return strip_icon_ligatures(fixed, repair_map)
