"""The figures of one reliability run (:class:`Figures`) and the Markdown report made from them (:func:`render`).

The report states the machine and its load average (the development machines are shared: other work competes
for the same two cores), the targets and whether they were met, the baseline and load latencies, the capacity
steps, CPU time per turn and memory of each server, the fault checks, what the figures mean for capacity, and
one line per run (this one and up to seven earlier ones, carried over from the report it replaces).
"""

from __future__ import annotations

import argparse
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from evaluation.reliability_faults import FaultCheck
from evaluation.reliability_load import QUESTIONS_PER_CONVERSATION, LoadResult, percentile
from evaluation.reliability_stack import KEYS

P95_TARGET_S = 1.0
RUNS_HEADING = "## Runs"
MAX_RUNS = 8
SERVER_NAMES = {"actions": "action server", "rasa": "Rasa server", "web": "web service"}


@dataclass
class Figures:
    args: argparse.Namespace
    date: str
    machine: str
    load_before: float
    load_after: float = 0.0
    wall_min: float = 0.0
    baseline: LoadResult = field(default_factory=LoadResult)
    steps: dict[int, LoadResult] = field(default_factory=dict)
    load: LoadResult = field(default_factory=LoadResult)
    memory: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    cpu_ms_per_turn: dict[str, dict[str, float]] = field(default_factory=dict)
    checks: list[FaultCheck] = field(default_factory=list)
    stored: dict[str, dict[str, int]] = field(default_factory=dict)


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
                 platform.processor() or "unknown CPU")
    return (f"{os.cpu_count()} cores ({model}), {psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _latency_rows(name: str, result: LoadResult) -> list[str]:
    rows = []
    for kind in (None, "question", "prescreen"):
        values = result.latencies(kind)
        rows.append(f"| {name}, {kind or 'all'} turns | {len(values)} | {_ms(percentile(values, 50))} | "
                    f"{_ms(percentile(values, 95))} | {_ms(percentile(values, 99))} | {_ms(max(values, default=0))} |")
    return rows


def _errors(result: LoadResult) -> str:
    kinds: dict[str, int] = {}
    for turn in result.errors:
        kinds[turn.error or "?"] = kinds.get(turn.error or "?", 0) + 1
    return ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())) or "none"


def _rate(result: LoadResult) -> float:
    return len(result.turns) / result.wall_s if result.wall_s else 0.0


def _check_row(check: FaultCheck) -> str:
    seconds = f"{check.seconds:.0f}" if check.seconds else ""
    return (f"| {check.scenario} | {check.expected} | {check.observed.replace('|', '/')} | "
            f"{'yes' if check.passed else '**no**'} | {seconds} |")


def _reading(f: Figures) -> list[str]:
    """What the figures mean, computed from them."""
    a = f.args
    p50 = percentile(f.load.latencies(), 50)
    mean_think = sum(a.think) / 2
    demand = a.conversations / (mean_think + p50) if a.conversations else 0.0
    best = max((_rate(r) for r in f.steps.values()), default=0.0)
    cpu = f.cpu_ms_per_turn.get(f"{a.conversations} conversations, think time", {})
    total_cpu = sum(cpu.values())
    lines = [
        f"- Demand: {a.conversations} patients who each read and type for {mean_think:g} s on average between "
        f"turns ask for about {demand:.1f} turns/s; the load run served {_rate(f.load):.1f} turns/s.",
    ]
    if best:
        lines.append(f"- Capacity on this machine during the run: at most {best:.1f} turns/s (the capacity steps, "
                     "no think time: every conversation always waiting for its answer).")
    if total_cpu:
        parts = ", ".join(f"{SERVER_NAMES[k]} {v:.0f} ms" for k, v in cpu.items())
        # each server is one process: about one core at most each, and two cores for all of them
        bound = min(2000 / total_cpu, 1000 / max(cpu.values()))
        lines.append(f"- CPU time per turn under load: {total_cpu:.0f} ms ({parts}). Each server is one process "
                     f"(one core at most) and all share two, so two cores that nothing else uses could serve at "
                     f"most about {bound:.0f} turns/s, i.e. about {bound * mean_think:.0f} patients typing every "
                     f"{mean_think:g} s.")
    lines.append(f"- The machine is shared with other work: its load average was {f.load_before:.2f} before the run "
                 f"and {f.load_after:.2f} after (2 cores), so the servers had only part of the CPU; latencies on a "
                 "dedicated machine are lower, CPU time per turn is the figure that carries over.")
    lines.append("- Timeouts: under overload the web service answers the one-moment reply after "
                 "`TRIALBOT_RASA_TIMEOUT_S` (30 s); Rasa still finishes the turn, so the conversation moves on "
                 "and a patient who resends the same answer may answer the next question with it.")
    lines.append("- While Rasa is down, the message that got the one-moment reply is not stored (Rasa never saw "
                 "it): the patient is asked to try again. While the web service itself is down, the widget shows its "
                 "own error box with \"Try again\" (nothing can answer for it).")
    return lines


def summary(f: Figures) -> str:
    """One line about this run, kept in the report's list of runs."""
    a, lat = f.args, f.load.latencies()
    return (f"- {f.date} (load average {f.load_before:.2f}){' --quick' if a.quick else ''}: {a.conversations} "
            f"conversations, think {a.think[0]:g}-{a.think[1]:g} s: {len(f.load.errors)} errors in "
            f"{len(f.load.turns)} turns, p50 {_ms(percentile(lat, 50))} ms, p95 {_ms(percentile(lat, 95))} ms; "
            f"faults {sum(c.passed for c in f.checks)}/{len(f.checks)} passed.")


def earlier_runs(report: Path, keep: int = MAX_RUNS - 1) -> list[str]:
    """The run lines of the report being replaced, newest first (the machine's figures vary from run to run)."""
    if not report.exists():
        return []
    lines, inside = [], False
    for line in report.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            inside = line == RUNS_HEADING
        elif inside and line.startswith("- "):
            lines.append(line)
    return lines[:keep]


def render(f: Figures, earlier: list[str] | None = None) -> str:
    a = f.args
    p95 = percentile(f.load.latencies(), 95)
    errors = len(f.load.errors)
    faults_ok = bool(f.checks) and all(c.passed for c in f.checks)
    memory_rows = [f"| {t:.0f} | " + " | ".join(f"{m.get(k, 0):.0f}" for k in KEYS) + " |" for t, m in f.memory]
    step_rows = [f"| {n} | {len(r.turns)} | {_rate(r):.1f} | {_ms(percentile(r.latencies(), 50))} | "
                 f"{_ms(percentile(r.latencies(), 95))} | {len(r.errors)} |" for n, r in sorted(f.steps.items())]
    cpu_rows = [f"| {name} | " + " | ".join(f"{cpu.get(k, 0):.0f}" for k in KEYS) + f" | {sum(cpu.values()):.0f} |"
                for name, cpu in f.cpu_ms_per_turn.items()]
    return "\n".join([
        "# Reliability: load and faults on the real stack",
        "",
        f"Run {f.date} on {f.machine}. Load average (1 min) {f.load_before:.2f} before the run and "
        f"{f.load_after:.2f} after: the machine is shared. Written by `python -m evaluation.reliability"
        f"{' --quick' if a.quick else ''}` ({f.wall_min:.1f} min in all). The three real servers (action server, "
        "Rasa 3.6 with its SQLite tracker store, web service) were started one by one with the commands of "
        "`trialbot run`, on localhost; the load client ran on the same machine.",
        "",
        "## Targets",
        "",
        "| target | result | met |",
        "|---|---|---|",
        f"| 0 errors at {a.conversations} concurrent conversations | {errors} errors in {len(f.load.turns)} turns "
        f"| {'yes' if errors == 0 else 'no'} |",
        f"| p95 under 1 s | p95 {_ms(p95)} ms | {'yes' if p95 < P95_TARGET_S else 'no'} |",
        f"| every fault survived, nothing lost | {sum(c.passed for c in f.checks)} of {len(f.checks)} checks "
        f"passed | {'yes' if faults_ok else 'no'} |",
        "",
        "## Load",
        "",
        f"{a.conversations} concurrent conversations for {a.duration:.0f} s (each then finished its turn): "
        f"even-numbered ones send a greeting and {QUESTIONS_PER_CONVERSATION} trial questions from the gold set, "
        "odd-numbered ones go through the whole pre-screening in free text (16 turns); a new conversation with a "
        f"new sender id follows each finished one. Between turns each patient reads and types for "
        f"{a.think[0]:g}-{a.think[1]:g} s (uniform). The per-address rate limit is raised for the run (all "
        "patients share 127.0.0.1); the per-sender limit is as shipped. An error is an answer other than 200, a "
        "transport error or timeout, a one-moment reply, or an empty reply.",
        "",
        f"Turns: {len(f.load.turns)} in {f.load.wall_s:.0f} s ({_rate(f.load):.1f} turns/s). Conversations "
        f"finished: {f.load.conversations['question']} question, {f.load.conversations['prescreen']} "
        f"pre-screening ({f.load.prescreens_completed} ended with the expected \"possibly eligible\" summary). "
        f"Errors: {errors} ({_errors(f.load)}).",
        "",
        "| turns | n | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|",
        *_latency_rows("baseline (one conversation at a time)", f.baseline),
        *_latency_rows(f"load ({a.conversations} concurrent)", f.load),
        "",
        f"Capacity steps (no think time, {a.step_duration:.0f} s each):",
        "",
        "| conversations | turns | turns/s | p50 ms | p95 ms | errors |",
        "|---|---|---|---|---|---|",
        *step_rows,
        "",
        "CPU time per turn (ms, each server with its child processes):",
        "",
        "| run | action server | Rasa server | web service | total |",
        "|---|---|---|---|---|",
        *cpu_rows,
        "",
        "Resident memory (MB, each server with its child processes) during the load:",
        "",
        "| s | action server | Rasa server | web service |",
        "|---|---|---|---|",
        *memory_rows,
        "",
        "## Faults",
        "",
        "| step | expected | observed | passed | restart s |",
        "|---|---|---|---|---|",
        *[_check_row(c) for c in f.checks],
        "",
        f"Stored before the Rasa and web restarts: {f.stored.get('before')}; after: {f.stored.get('after')} "
        "(tracker events and conversations from the SQLite tracker store, cases from the case database).",
        "",
        "## Reading the figures",
        "",
        *_reading(f),
        "",
        RUNS_HEADING,
        "",
        "This run first; the figures vary with what else the shared machine is doing.",
        "",
        summary(f),
        *(earlier or []),
        "",
    ])
