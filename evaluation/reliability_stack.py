"""The three real servers started one by one, so the reliability benchmark can kill and restart any of them.

:func:`start_services` plans the services exactly as ``trialbot run`` does (``trialbot.runner.plan_services``:
same commands, Rasa's HTTP API on with a token, localhost only) on free ports, and starts each with
``trialbot.runner._start`` (its own process group, output appended to ``log_dir/<name>.log``), waiting until it
is ready. Conversations go to ``log_dir/tracker.db`` (Rasa's SQL tracker store) and cases to ``log_dir/cases.db``.

:class:`ReliabilityStack` kills a server (SIGKILL to its process group: a crash, not a clean stop), starts it
again with the same command, port and environment, reports each server's resident memory and CPU time (psutil,
the process and its children) and counts what is stored: tracker events and conversations, cases.
"""

from __future__ import annotations

import os
import secrets
import signal
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from trialbot.runner import Service, _start, _wait_ready, plan_services, port_in_use, stop_all, trained_model
from trialbot.settings import RunSettings
from trialbot.stack import free_port

KEYS = ("actions", "rasa", "web")  # start order; plan_services returns them in this order
NAMES = {"actions": "action server", "rasa": "Rasa server", "web": "web service"}


class StackStartError(RuntimeError):
    """A server did not become ready; the message holds the end of its log."""


@dataclass
class ReliabilityStack:
    services: dict[str, Service]
    log_dir: Path
    token: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.services['web'].port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.services['rasa'].port}"

    @property
    def tracker_db(self) -> Path:
        return self.log_dir / "tracker.db"

    @property
    def cases_db(self) -> Path:
        return self.log_dir / "cases.db"

    def pid(self, key: str) -> int | None:
        service = self.services[key]
        return service.process.pid if service.process is not None and service.alive() else None

    def kill(self, key: str) -> None:
        """SIGKILL the server's process group and wait until its port is free."""
        service = self.services[key]
        if service.process is None or not service.alive():
            return
        os.killpg(service.process.pid, signal.SIGKILL)
        service.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while port_in_use("127.0.0.1", service.port) and time.monotonic() < deadline:
            time.sleep(0.2)

    def start(self, key: str, timeout_s: float = 300) -> float:
        """Start one server with its planned command; returns the seconds until it was ready."""
        started = time.monotonic()
        _start(self.services[key], self.log_dir)
        problem = _wait_ready(self.services[key], started + timeout_s)
        if problem:
            raise StackStartError(f"{problem}\n{self.log_tail(key)}")
        return time.monotonic() - started

    def restart(self, key: str, timeout_s: float = 300) -> float:
        self.kill(key)
        return self.start(key, timeout_s)

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

    def log_tail(self, key: str, chars: int = 4000) -> str:
        path = self.log_dir / f"{self.services[key].name.replace(' ', '-')}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))

    def stop(self) -> None:
        stop_all([self.services[key] for key in KEYS])


def start_services(log_dir: Path, extra_env: dict[str, str] | None = None) -> ReliabilityStack:
    """Start the action server, Rasa and the web service on free localhost ports, in that order."""
    log_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(24)  # token_urlsafe may start with '-', which `rasa run --auth-token` reads as an option
    settings = RunSettings(web_port=free_port(), rasa_port=free_port(), action_port=free_port(), log_dir=log_dir,
                           tracker_db=log_dir / "tracker.db", rasa_token=token)
    model = trained_model(settings.bot_dir)
    if model is None:
        raise StackStartError("no trained Rasa model in bot/models; run `make train`")
    common = {"TRIALBOT_DATABASE_URL": f"sqlite:///{log_dir / 'cases.db'}", "TRIALBOT_LOG_DIR": str(log_dir),
              "TRIALBOT_SESSION_SECRET": secrets.token_urlsafe(48), **(extra_env or {})}
    services = {}
    for key, service in zip(KEYS, plan_services(settings, model), strict=True):
        if service.name != NAMES[key]:
            raise StackStartError(f"plan_services changed its order: {service.name} where {NAMES[key]} was")
        service.env = {**service.env, **common}
        services[key] = service
    stack = ReliabilityStack(services, log_dir, token)
    try:
        for key in KEYS:
            stack.start(key)
    except BaseException:
        stack.stop()
        raise
    return stack
