"""Load and fault benchmark of the real stack: ``python -m evaluation.reliability [--duration S] [--quick]``.

Starts the action server, Rasa and the web service one by one on free localhost ports (``reliability_stack``,
the commands ``trialbot run`` uses), then in one run:

1. baseline: one conversation at a time, no think time (``reliability_load.run_baseline``);
2. capacity: ``--steps`` (4 and 16) conversations with no think time for ``--step-duration`` s each, the
   turns per second the stack serves when it is never idle;
3. load: ``--conversations`` (50) concurrent conversations mixing trial questions and pre-screenings for
   ``--duration`` seconds (180), each patient reading and typing ``--think`` seconds (5-15) between turns;
   each server's resident memory is sampled every ``--sample`` seconds, and its CPU time per turn measured;
4. faults (``reliability_faults``): the action server killed and restarted, Rasa killed, Rasa and the web
   service restarted.

Writes ``reports/reliability.md`` (figures, machine, date, targets) and prints it. All simulated patients come
from 127.0.0.1, so the per-address chat rate limit is raised for the run (the per-sender one is kept).
Bounded in time (the durations plus the start, the restarts and the baseline); sends to localhost only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from evaluation.reliability_faults import run_faults
from evaluation.reliability_load import LoadResult, run_baseline, run_load
from evaluation.reliability_report import Figures, earlier_runs, machine, render
from evaluation.reliability_stack import ReliabilityStack, start_services
from trialbot.settings import REPO_ROOT

REPORT = REPO_ROOT / "evaluation" / "reports" / "reliability.md"
BENCHMARK_ENV = {"TRIALBOT_CHAT_ADDRESS_RATE_LIMIT": "100000/minute"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=50, help="concurrent conversations (50)")
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of load (180)")
    parser.add_argument("--think", type=float, nargs=2, default=(5.0, 15.0), metavar=("MIN", "MAX"),
                        help="seconds a patient reads and types between turns, drawn uniformly (5 15)")
    parser.add_argument("--steps", type=int, nargs="*", default=[4, 16],
                        help="conversation counts of the capacity steps, no think time (4 16; none to skip)")
    parser.add_argument("--step-duration", type=float, default=45.0, help="seconds per capacity step (45)")
    parser.add_argument("--sample", type=float, default=15.0, help="seconds between memory samples (15)")
    parser.add_argument("--quick", action="store_true",
                        help="a short run: 10 conversations for 30 s, one 20 s capacity step")
    parser.add_argument("--report", type=Path, default=REPORT)
    return parser


def measured_load(stack: ReliabilityStack, figures: Figures, name: str, conversations: int, duration_s: float,
                  think_s: tuple[float, float], sample_s: float | None = None) -> LoadResult:
    """One load run, with each server's CPU seconds per turn (and memory samples when ``sample_s``)."""
    on_tick = (lambda t: figures.memory.append((t, stack.rss_mb()))) if sample_s else None
    cpu_before = stack.cpu_seconds()
    result = asyncio.run(run_load(stack.url, conversations, duration_s, think_s=think_s, on_tick=on_tick,
                                  tick_s=sample_s or 15.0))
    cpu_after = stack.cpu_seconds()
    turns = max(1, len(result.turns))
    figures.cpu_ms_per_turn[name] = {k: (cpu_after[k] - cpu_before.get(k, 0.0)) * 1000 / turns for k in cpu_after}
    return result


def run(args: argparse.Namespace) -> int:
    if args.quick:
        args.conversations, args.duration, args.steps, args.step_duration = 10, 30.0, [4], 20.0
    started = time.monotonic()
    figures = Figures(args=args, date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), machine=machine(),
                      load_before=os.getloadavg()[0])
    with tempfile.TemporaryDirectory(prefix="trialbot-reliability-") as tmp:
        print("starting the action server, Rasa and the web service ...", flush=True)
        with start_services(Path(tmp), BENCHMARK_ENV) as stack:
            print("baseline ...", flush=True)
            figures.baseline = asyncio.run(run_baseline(stack.url))
            for count in args.steps:
                print(f"capacity: {count} conversations, no think time, {args.step_duration:.0f} s ...", flush=True)
                figures.steps[count] = measured_load(stack, figures, f"{count} conversations, no think time",
                                                     count, args.step_duration, (0.0, 0.0))
            print(f"load: {args.conversations} conversations for {args.duration:.0f} s ...", flush=True)
            figures.load = measured_load(stack, figures, f"{args.conversations} conversations, think time",
                                         args.conversations, args.duration, tuple(args.think), args.sample)
            print("faults ...", flush=True)
            figures.checks, figures.stored = run_faults(stack)
    figures.load_after = os.getloadavg()[0]
    figures.wall_min = (time.monotonic() - started) / 60
    text = render(figures, earlier_runs(args.report))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text, encoding="utf-8")
    print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
