"""The live-reply measurement of the handoff benchmark works against the real stack (no timing asserted)."""

from __future__ import annotations

import pytest

from cases.store import CaseStore
from evaluation.handoff_benchmark import measure_live_reply

pytestmark = pytest.mark.e2e


def test_live_reply_delay_is_measured_on_the_real_stack(stack) -> None:
    database_url = f"sqlite:///{stack.log_dir / 'cases.db'}"
    # Slow polling keeps this under the widget's rate limit of the shared test stack.
    figure = measure_live_reply(stack.url, database_url, rounds=2, poll_interval_s=0.25)
    assert len(figure.samples) == len(figure.baseline) == 2
    assert all(s > 0 for s in figure.samples + figure.baseline)
    store = CaseStore.from_url(database_url)
    try:
        [case] = [c for c in store.list_cases(["NCT07520357"])
                  if any(m["text"].startswith("Reply number") for m in c.transcript)]
        navigator_lines = [m["text"] for m in case.transcript if m["role"] == "navigator"]
    finally:
        store.dispose()
    assert navigator_lines == ["Reply number 0 from the benchmark.", "Reply number 1 from the benchmark."]
    assert case.held_by is None  # handed back at the end
