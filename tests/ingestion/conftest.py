"""Fixtures for the ingestion tests: the shared seed page, tmp settings, a PDF maker (reportlab)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ingestfiles import DEMO_MARKDOWN, SEED_PAGE, pdf_bytes

from trialbot.settings import KnowledgeSettings


@pytest.fixture()
def seed_page() -> Path:
    if not SEED_PAGE.is_file():
        pytest.skip(f"the shared seed page is not on this machine ({SEED_PAGE})")
    return SEED_PAGE


@pytest.fixture()
def settings(tmp_path: Path) -> KnowledgeSettings:
    """A tmp docs dir holding one Markdown trial document (NCT00000001) and a tmp index dir."""
    docs = tmp_path / "trials" / "NCT00000001" / "docs"
    docs.mkdir(parents=True)
    (docs / "01-demo.md").write_text(DEMO_MARKDOWN, encoding="utf-8")
    return KnowledgeSettings(docs_dir=tmp_path / "trials", index_dir=tmp_path / "index")


@pytest.fixture()
def make_pdf() -> Callable[..., bytes]:
    return pdf_bytes
