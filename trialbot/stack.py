"""Starting the whole assistant (``trialbot run``) on free localhost ports for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from trialbot.settings import REPO_ROOT


class StackError(RuntimeError):
    """The stack exited or did not become healthy; the message holds its output and logs."""


@dataclass
class Stack:
    """The three real servers started by one ``trialbot run`` process."""

    url: str
    rasa_url: str
    action_url: str
    process: subprocess.Popen
    log_dir: Path

    def ports(self) -> list[int]:
        return [int(url.rsplit(":", 1)[1]) for url in (self.url, self.rasa_url, self.action_url)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_stack(log_dir: Path, timeout_s: float = 300, extra_env: dict[str, str] | None = None) -> Stack:
    """Start ``trialbot run`` on free ports and wait until ``/health`` is 200 (or raise StackError).

    Conversations and cases go to SQLite files in ``log_dir`` unless ``extra_env`` names other stores.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    web, rasa, actions = free_port(), free_port(), free_port()
    env = {**os.environ, "TRIALBOT_WEB_PORT": str(web), "TRIALBOT_RASA_PORT": str(rasa),
           "TRIALBOT_ACTION_PORT": str(actions), "TRIALBOT_LOG_DIR": str(log_dir),
           # each stack keeps its conversations and cases apart from the developer's own (var/)
           "TRIALBOT_TRACKER_DB": str(log_dir / "tracker.db"),
           "TRIALBOT_DATABASE_URL": f"sqlite:///{log_dir / 'cases.db'}", **(extra_env or {})}
    process = subprocess.Popen(
        [str(REPO_ROOT / ".venv" / "bin" / "trialbot"), "run"], cwd=REPO_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    stack = Stack(f"http://127.0.0.1:{web}", f"http://127.0.0.1:{rasa}", f"http://127.0.0.1:{actions}", process,
                  log_dir)
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            output = "".join(stream.read() for stream in (process.stdout, process.stderr) if stream)
            logs = "\n".join(p.read_text()[-3000:] for p in log_dir.glob("*.log"))
            raise StackError(f"trialbot run exited early ({process.returncode}):\n{output}\n{logs}")
        try:
            if httpx.get(f"{stack.url}/health", timeout=2).status_code == 200:
                return stack
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_stack(stack)
            raise StackError(f"the stack did not become healthy within {timeout_s:.0f} s")
        time.sleep(1)


def stop_stack(stack: Stack) -> None:
    """Ctrl-C for ``trialbot run``, which stops its three servers."""
    if stack.process.poll() is None:
        os.killpg(stack.process.pid, signal.SIGINT)
        try:
            stack.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.process.pid, signal.SIGKILL)


@contextmanager
def running_stack(log_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """``start_stack``, stopped when the block ends (however it ends)."""
    stack = start_stack(log_dir, extra_env=extra_env)
    try:
        yield stack
    finally:
        stop_stack(stack)
