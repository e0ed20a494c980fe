"""The memory benchmark's child processes really load what they claim: the bare floor loads the packaged model
and the product loads the whole retriever, each in its own process, and each answers a question."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation.memory_footprint import _peak_mib, main, measure_memory

pytestmark = pytest.mark.integration
TORCH_AND_MINILM_MIB = 300  # a process holding torch and MiniLM resides in well over this (measured ~630 MiB)


def test_both_processes_load_a_model_and_are_measured_on_their_own(retriever):  # the fixture builds the index
    ballast = np.ones(1024 * 1024 * 1024 // 8)  # 1 GiB resident here: a child must not report this process's peak
    footprint = measure_memory("what LVEF do I need")
    own_peak = _peak_mib()
    assert footprint.floor_mib > TORCH_AND_MINILM_MIB
    assert footprint.ask_mib > TORCH_AND_MINILM_MIB
    assert footprint.ask_mib < own_peak - 512, (footprint, own_peak)
    assert footprint.ratio == footprint.ask_mib / footprint.floor_mib
    del ballast


def test_the_peak_is_read_from_the_status_file(tmp_path: Path):
    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmPeak:\t 9000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1024 kB\n", encoding="ascii")
    assert _peak_mib(status) == 2.0
    status.write_text("Name:\tpython\n", encoding="ascii")
    with pytest.raises(RuntimeError):
        _peak_mib(status)


@pytest.mark.parametrize("argv", [[], ["floor"], ["everything", "a question"]])
def test_a_wrong_child_invocation_is_a_usage_error(argv: list[str], capsys):
    assert main(argv) == 2
    assert "usage" in capsys.readouterr().err
