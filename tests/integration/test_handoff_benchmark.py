"""The handoff benchmark's functions work on tiny counts (no timing is asserted: only that they measure what
they say, with a baseline, and write a report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.store import CaseStore
from evaluation.handoff_benchmark import Figure, case_creation_figures, measure_queue, seed_cases
from evaluation.handoff_report import render, write_report

pytestmark = pytest.mark.integration


def test_case_creation_is_measured_against_a_read(tmp_path: Path) -> None:
    [figure] = case_creation_figures(rounds=3, postgres=False)
    assert "SQLite" in figure.name and len(figure.samples) == len(figure.baseline) == 3
    assert all(s > 0 for s in figure.samples + figure.baseline)


def test_seeded_cases_fill_every_status_and_both_urgencies(tmp_path: Path) -> None:
    store = CaseStore.from_url(f"sqlite:///{tmp_path / 'cases.db'}")
    try:
        seed_cases(store, 12)
        cases = store.list_cases(["NCT07520357"])
    finally:
        store.dispose()
    assert len(cases) == 12
    assert {c.status for c in cases} == {"new", "in_review", "contacted", "closed"}
    assert {c.urgency for c in cases} == {"normal", "urgent"} and {c.channel for c in cases} == {"rest", "telegram"}
    assert cases[0].urgency == "urgent" and len(cases[0].transcript) == 14


def test_queue_pages_are_measured_on_real_web_processes(tmp_path: Path) -> None:
    page, api = measure_queue(many=3, few=0, rounds=2, folder=tmp_path)
    assert "3 cases" in page.name and "0 cases" in page.baseline_name
    assert len(page.samples) == len(page.baseline) == len(api.samples) == 2
    assert "KiB of HTML" in page.note and "KiB of JSON" in api.note


def test_the_report_has_machine_date_counts_ratios_and_a_noise_note(tmp_path: Path) -> None:
    figure = Figure("create a case (SQLite file)", "read one case", samples=[0.004, 0.006, 0.005],
                    baseline=[0.001, 0.001, 0.002])
    text = write_report([figure], tmp_path / "handoff.md", counts={"rounds": 3, "cases": 1000, "few": 10},
                        seconds=1.0, load=(1.5, 2.25))
    assert (tmp_path / "handoff.md").read_text() == text
    assert "| create a case (SQLite file) | 5.0 |" in text and "| 5.0× |" in text
    assert "CPUs" in text and "UTC" in text and "queue of 1000 cases against 10" in text and "## Noise" in text
    assert "load average was 1.5 at the start and 2.2 at the end" in text
    assert render([figure], {}, 0.0).startswith("# Handoff figures")
