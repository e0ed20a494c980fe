"""``trialbot eval latency``: turn latency through ``/api/chat`` on the real stack, and each server's memory.

Starts ``trialbot run`` on free localhost ports, sends a bounded number of turns, and compares a
question answered from the documents with the baseline of a turn answered by a plain Rasa response
(the greeting), measured interleaved in the same run. Writes ``reports/latency.md``.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from trialbot.settings import REPO_ROOT
from trialbot.stack import running_stack

REPORT = REPO_ROOT / "evaluation" / "reports" / "latency.md"
QUESTIONS = [
    "How often is the drug given?", "Where is the trial?", "What are the side effects?", "How much does it cost?",
    "Can I join if I had irinotecan?", "what is the age limit", "Is it recruiting?", "What is CLDN18.2?",
    "How long is follow-up?", "What is the best diet for diabetes?",
]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def _turn(client: httpx.Client, url: str, sender: str, message: str) -> float:
    started = time.perf_counter()
    response = client.post(f"{url}/api/chat", json={"sender": sender, "message": message}, timeout=60)
    response.raise_for_status()
    return time.perf_counter() - started


def run_latency_benchmark(rounds: int = 5) -> int:
    with tempfile.TemporaryDirectory() as logs:
        started = time.perf_counter()
        with running_stack(Path(logs)) as stack:
            ready_s = time.perf_counter() - started
            with httpx.Client() as client:
                _turn(client, stack.url, "warmup", "hello")
                _turn(client, stack.url, "warmup", QUESTIONS[0])
                baseline, answer = [], []
                for _ in range(rounds):
                    for question in QUESTIONS:
                        sender = uuid.uuid4().hex
                        baseline.append(_turn(client, stack.url, sender, "hello"))
                        answer.append(_turn(client, stack.url, sender, question))
            names = {"actions.server": "action server", "rasa": "Rasa server", "uvicorn": "web service"}
            memory = {}
            for pid in _children(stack.process.pid):
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                for key, name in names.items():
                    if key in command:
                        memory[name] = _rss_mb(pid)
    b, a = statistics.median(baseline) * 1000, statistics.median(answer) * 1000
    lines = [
        "# Chat turn latency and memory",
        "",
        f"The real stack (`trialbot run`), {len(answer)} question turns and as many greeting turns, interleaved, "
        "one client, localhost.",
        "",
        "| turn | median ms | p95 ms |",
        "|---|---|---|",
        f"| greeting (plain Rasa response, baseline) | {b:.1f} | {_p95(baseline):.1f} |",
        f"| question answered from the documents (custom action) | {a:.1f} | {_p95(answer):.1f} |",
        "",
        f"Ratio of the answer turn to the baseline turn: **{a / b:.2f}×**. Stack ready (health 200) "
        f"{ready_s:.1f} s after `trialbot run` started.",
        "",
        "| server | resident memory (MB) |",
        "|---|---|",
        *[f"| {name} | {mb:.0f} |" for name, mb in sorted(memory.items())],
    ]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] * 1000
