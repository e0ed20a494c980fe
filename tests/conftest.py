"""Shared fixtures: the real knowledge index and model (loaded once), and the real running stack."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from trialbot.settings import REPO_ROOT, KnowledgeSettings

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def knowledge_settings() -> KnowledgeSettings:
    return KnowledgeSettings()


@pytest.fixture(scope="session")
def embedder(knowledge_settings: KnowledgeSettings):
    from knowledge.embedding import load_embedder

    return load_embedder(knowledge_settings.embedding_model)


@pytest.fixture(scope="session")
def retriever(knowledge_settings: KnowledgeSettings, embedder):
    """The project's real retriever over the built index (``make test`` builds it first)."""
    from knowledge.build import build_index
    from knowledge.retriever import Retriever

    build_index(knowledge_settings, embedder_factory=lambda _name: embedder)
    return Retriever.from_settings(knowledge_settings, embedder=embedder)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    """The three real servers started by ``trialbot run`` on free ports."""

    url: str
    rasa_url: str
    action_url: str
    process: subprocess.Popen
    log_dir: Path


def start_stack(log_dir: Path, timeout_s: float = 300) -> Stack:
    """Start ``trialbot run`` on free ports and wait until ``/health`` is 200."""
    web, rasa, actions = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "TRIALBOT_WEB_PORT": str(web),
        "TRIALBOT_RASA_PORT": str(rasa),
        "TRIALBOT_ACTION_PORT": str(actions),
        "TRIALBOT_LOG_DIR": str(log_dir),
    }
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
            pytest.fail(f"trialbot run exited early ({process.returncode}):\n{output}\n{logs}")
        try:
            if httpx.get(f"{stack.url}/health", timeout=2).status_code == 200:
                return stack
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_stack(stack)
            pytest.fail(f"the stack did not become healthy within {timeout_s:.0f} s")
        time.sleep(1)


def stop_stack(stack: Stack) -> None:
    """Ctrl-C for ``trialbot run``, which stops its three servers."""
    if stack.process.poll() is None:
        os.killpg(stack.process.pid, signal.SIGINT)
        try:
            stack.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("stack-logs"))
    try:
        yield running
    finally:
        stop_stack(running)
