"""The reliability benchmark's stack: the three real servers of ``trialbot.services`` (started one by one, so any
can be killed and restarted), plus each server's resident memory and CPU time (psutil, the process and its
children) and counts of what is stored: tracker events and conversations, cases.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psutil

from trialbot.services import KEYS, ServiceStack, StackStartError
from trialbot.services import start_services as start_service_stack

__all__ = ["KEYS", "ReliabilityStack", "StackStartError", "start_services"]


class ReliabilityStack(ServiceStack):
    """A :class:`ServiceStack` that also measures the servers and counts what they stored."""

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of each running server, its child processes included."""
        memory = {}
        for key in KEYS:
            pid = self.pid(key)
            if pid is None:
                continue
            try:
                process = psutil.Process(pid)
                total = process.memory_info().rss + sum(
                    child.memory_info().rss for child in process.children(recursive=True))
            except psutil.Error:
                continue
            memory[key] = total / 2**20
        return memory

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each running server has used so far, its child processes included."""
        used = {}
        for key in KEYS:
            pid = self.pid(key)
            if pid is None:
                continue
            try:
                processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
                used[key] = sum(sum(p.cpu_times()[:2]) for p in processes)
            except psutil.Error:
                continue
        return used

    def stored(self) -> dict[str, int]:
        """What is kept on disk: tracker events, conversations (distinct senders), cases."""
        counts = {"events": 0, "conversations": 0, "cases": 0}
        if self.tracker_db.exists():
            with sqlite3.connect(f"file:{self.tracker_db}?mode=ro", uri=True) as db:
                counts["events"], counts["conversations"] = db.execute(
                    "SELECT count(*), count(DISTINCT sender_id) FROM events").fetchone()
        if self.cases_db.exists():
            with sqlite3.connect(f"file:{self.cases_db}?mode=ro", uri=True) as db:
                counts["cases"] = db.execute("SELECT count(*) FROM cases").fetchone()[0]
        return counts

    def events_of(self, sender: str) -> int:
        with sqlite3.connect(f"file:{self.tracker_db}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def start_services(log_dir: Path, extra_env: dict[str, str] | None = None) -> ReliabilityStack:
    """Start the action server, Rasa and the web service on free localhost ports, in that order."""
    return start_service_stack(log_dir, extra_env, stack_class=ReliabilityStack)
