"""The retrieval gold sets still fit the trial documents: every expected section is a heading of its document
and every key fact is written in that section (the check the data README asks for whenever documents change)."""

import re

import pytest

from evaluation.datasets import GOLD_PATH, HOLDOUT_PATH, load_gold
from trialbot.settings import KnowledgeSettings

pytestmark = pytest.mark.unit

DOCS = KnowledgeSettings().docs_dir / "NCT07520357" / "docs"


def sections_of(document: str) -> dict[str, str]:
    """``##`` heading → the text below it (up to the next ``##`` heading)."""
    parts = re.split(r"^## +(.+?)\s*$", (DOCS / f"{document}.md").read_text(encoding="utf-8"), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("path", [GOLD_PATH, HOLDOUT_PATH], ids=["gold", "holdout"])
def test_every_gold_question_points_at_a_section_holding_its_facts(path):
    golds = load_gold(path)
    assert len({g.id for g in golds}) == len(golds) >= 120
    problems = []
    for gold in golds:
        text = sections_of(gold.expected_doc).get(gold.expected_section)
        if text is None:
            problems.append(f"{gold.id}: no section {gold.expected_section!r} in {gold.expected_doc}")
            continue
        problems += [f"{gold.id}: {fact!r} not in its section" for fact in gold.key_facts
                     if fact.lower() not in " ".join(text.split()).lower()]
    assert not problems, problems
