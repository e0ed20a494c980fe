"""Writing a small trial (one document and its anticipated questions) for tests that build an index."""

from __future__ import annotations

from pathlib import Path

from trialbot.settings import KnowledgeSettings


def write_trial(root: Path, trial_id: str, document: str, questions: str, **settings) -> KnowledgeSettings:
    """``root/trials/<trial_id>/docs/01-demo.md`` and ``questions/01-demo.yml``; settings for an index in
    ``root/index`` (``settings`` override the rest)."""
    trial = root / "trials" / trial_id
    (trial / "docs").mkdir(parents=True)
    (trial / "questions").mkdir()
    (trial / "docs" / "01-demo.md").write_text(document)
    (trial / "questions" / "01-demo.yml").write_text(questions)
    return KnowledgeSettings(docs_dir=root / "trials", index_dir=root / "index", **settings)
