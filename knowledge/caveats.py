"""Caveats: sentences shown with every answer taken from their section, because without them the section's other
sentences could mislead (where the trial's own information contradicts itself, or when to get urgent help).

A trial lists them in ``<trial>/caveats.yml``, written by the project like its documents::

    - document: 04-exclusion-criteria   # the document file's stem
      section: "Does earlier irinotecan, FOLFIRI or topotecan rule me out?"
      sentence: "contradicts itself"     # a verbatim piece of exactly one sentence of that section

The file is optional. Answer composition always shows a section's caveat, in reading order, in place of one of the
answer's other sentences (``knowledge.answer``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from knowledge.anticipated import AnticipatedEntry, locate, read_yaml_list
from knowledge.chunking import Chunk
from knowledge.errors import KnowledgeError
from knowledge.sentence_scoring import SentenceTable

log = logging.getLogger(__name__)


def caveat_paths(docs_dir: Path) -> list[Path]:
    """Every trial's ``caveats.yml`` below ``docs_dir``, sorted."""
    return sorted(path for path in docs_dir.glob("*/caveats.yml") if path.is_file())


def load_caveats(paths: Sequence[Path]) -> list[AnticipatedEntry]:
    """Read the files (as entries without questions); a malformed one raises ``KnowledgeError`` naming it."""
    caveats: list[AnticipatedEntry] = []
    for path in paths:
        for number, item in enumerate(read_yaml_list(path, "caveats"), start=1):
            fields = [item.get(key) if isinstance(item, dict) else None for key in ("document", "section", "sentence")]
            if not all(isinstance(value, str) and value.strip() for value in fields):
                raise KnowledgeError(f"{path.name}: caveat {number} needs document, section and sentence")
            document, section, sentence = fields
            caveats.append(AnticipatedEntry(path.parent.name, document, section, sentence, (), path.name))
    return caveats


def section_caveats(docs_dir: Path, chunks: Sequence[Chunk], table: SentenceTable) -> dict[int, int]:
    """``{section id in table: caveat sentence row}`` for an index's chunks. A caveat that matches no single
    sentence (its document changed) is logged and left out rather than stopping the assistant; the shipped
    files are checked by tests."""
    found, problems = locate(load_caveats(caveat_paths(docs_dir)), chunks)
    for problem in problems:
        log.warning("caveat left out: %s", problem)
    return {int(table.section_of_row[row]): row for _, row in found}
