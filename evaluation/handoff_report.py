"""Writing the handoff figures (:mod:`evaluation.handoff_benchmark`) to ``evaluation/reports/handoff.md``:
the machine, the date, the counts, one table of medians with their baselines and ratios, and a note on noise."""

from __future__ import annotations

import os
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trialbot.settings import REPO_ROOT

REPORT = REPO_ROOT / "evaluation" / "reports" / "handoff.md"

NOISE = (
    "All three servers, the database and the client share one small machine, and other work (model training, "
    "test runs) may have been running at the same time: absolute numbers move by tens of percent between runs. "
    "Rounds are interleaved with their baseline, so a busy moment slows both, and the ratios are steadier than "
    "the milliseconds. Medians hide the tail; the spread column gives the 10th–90th percentile. The PostgreSQL "
    "figure comes from a throw-away test server with durability turned off, so it is optimistic for creation."
)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPUs ({cpu}){memory}, {platform.system()} {platform.release()}, " \
           f"Python {platform.python_version()}"


def spread_ms(samples: list[float]) -> str:
    if len(samples) < 3:
        return "–"
    deciles = statistics.quantiles(samples, n=10)
    return f"{deciles[0] * 1000:.1f}–{deciles[-1] * 1000:.1f}"


def render(figures: list[Any], counts: dict[str, int], seconds: float, when: datetime | None = None,
           load: tuple[float, float] | None = None) -> str:
    when = when or datetime.now(UTC)
    busy = (f" The machine's 1-minute load average was {load[0]:.1f} at the start and {load[1]:.1f} at the end "
            f"({os.cpu_count()} CPUs)." if load else "")
    lines = [
        "# Handoff figures: case creation, console queue, live reply",
        "",
        f"Measured {when:%Y-%m-%d %H:%M} UTC on {machine()}, by `python -m evaluation.handoff_benchmark` "
        f"({counts.get('rounds')} rounds per figure, interleaved with the baseline; queue of "
        f"{counts.get('cases')} cases against {counts.get('few')}; {seconds:.0f} s in all).{busy}",
        "",
        "| measured | median ms | spread (p10–p90) ms | baseline | baseline median ms | ratio | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        lines.append(f"| {f.name} | {f.median_ms:.1f} | {spread_ms(f.samples)} | {f.baseline_name} | "
                     f"{f.baseline_ms:.1f} | {f.ratio:.1f}× | {f.note} |")
    lines += ["", "## Noise", "", NOISE, ""]
    return "\n".join(lines)


def write_report(figures: list[Any], path: Path = REPORT, counts: dict[str, int] | None = None,
                 seconds: float = 0.0, load: tuple[float, float] | None = None) -> str:
    text = render(figures, counts or {}, seconds, load=load)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text
