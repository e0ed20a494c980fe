"""Shared files and file makers for the ingestion tests (a module, so tests can import it by name)."""

from __future__ import annotations

import io

from trialbot.settings import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures"
CTGOV_FIXTURE = FIXTURES / "NCT07520357_ctgov_v2.json"
SEED_PAGE = REPO_ROOT.parent / "shared" / "seeds" / "NCT07520357_patient_page.txt"
DEMO_MARKDOWN = """---
trial_id: NCT00000001
title: "Demo trial"
section: "Overview"
version: "1"
---
## What
The demo trial tests a drug. It gives an infusion every 3 weeks.
"""


def pdf_bytes(title: str, sections: list[tuple[str, list[str]]], footer: str | None = None) -> bytes:
    """A real PDF: a title, then for each section a heading and paragraphs ("• " starts a bullet)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    buffer = io.BytesIO()

    def draw_footer(canvas, doc) -> None:
        if footer:
            canvas.setFont("Helvetica", 8)
            canvas.drawString(72, 30, f"{footer} - page {doc.page}")

    story = [Paragraph(title, styles["Title"])]
    for heading, paragraphs in sections:
        story.append(Paragraph(heading, styles["Heading2"]))
        story += [Paragraph(text, styles["BodyText"]) for text in paragraphs]
        if footer:
            story.append(PageBreak())
    SimpleDocTemplate(buffer, pagesize=A4, title="untitled").build(
        story, onFirstPage=draw_footer, onLaterPages=draw_footer)
    return buffer.getvalue()
