"""``trialbot run``: start the action server, the Rasa server and the web service, supervise them.

It never half-starts: ports are checked first, and if any server fails to come up or dies later, the
others are stopped and the command exits non-zero, naming the server. Ctrl-C stops all three.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from knowledge.index_store import check_index
from trialbot.channels import channel_problems, rasa_env, write_credentials
from trialbot.settings import ChannelSettings, KnowledgeSettings, RunSettings


@dataclass
class Service:
    """One server process: how to start it and how to tell it is ready."""

    name: str
    port: int
    command: list[str]
    ready_url: str
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on (host, port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def trained_model(bot_dir: Path) -> Path | None:
    models = sorted((bot_dir / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def plan_services(settings: RunSettings, model: Path) -> list[Service]:
    """The three services in start order (actions first: Rasa calls it; web last: it calls Rasa).

    Rasa's HTTP API is on (the console pauses, replies and resumes conversations through it) but
    protected by a token and bound to localhost; a token not given in the settings is made per run.
    """
    host = settings.host
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else secrets.token_urlsafe(32)
    action_url = f"http://{host}:{settings.action_port}"
    rasa_url = f"http://{host}:{settings.rasa_port}"
    repo = settings.bot_dir.parent
    python_path = os.pathsep.join([str(repo), str(settings.bot_dir)])  # the safety NLU component lives in bot/
    base_env = {"PYTHONUNBUFFERED": "1", "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": python_path,
                "TRIALBOT_TRACKER_DB": str(settings.tracker_db)}
    # Rasa's channels: REST plus the messaging channels switched on in the environment; the file names
    # variables only, their values go to the Rasa server's environment (trialbot/channels.py).
    channels = ChannelSettings()
    credentials = write_credentials(channels, settings.log_dir.resolve() / "rasa-credentials.yml")
    return [
        Service(
            "action server", settings.action_port,
            [sys.executable, "-m", "actions.server", "--host", host, "--port", str(settings.action_port)],
            f"{action_url}/health", repo, base_env,
        ),
        Service(
            "Rasa server", settings.rasa_port,
            [str(settings.rasa_venv / "bin" / "rasa"), "run", "--model", str(model), "--endpoints", "endpoints.yml",
             "--credentials", str(credentials), "--interface", host, "--port", str(settings.rasa_port),
             "--enable-api", f"--auth-token={token}"],
            f"{rasa_url}/", settings.bot_dir,
            {**base_env, **rasa_env(channels), "ACTION_SERVER_URL": f"{action_url}/webhook"},
        ),
        Service(
            "web service", settings.web_port,
            [sys.executable, "-m", "uvicorn", "--factory", "web.app:app_factory", "--host", host,
             "--port", str(settings.web_port), "--no-access-log"],
            f"http://{host}:{settings.web_port}/health", repo,
            {**base_env, "TRIALBOT_RASA_URL": rasa_url, "TRIALBOT_ACTION_SERVER_URL": action_url,
             "TRIALBOT_RASA_TOKEN": token},
        ),
    ]


def _start(service: Service, log_dir: Path) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = (log_dir / f"{service.name.replace(' ', '-')}.log").open("ab")
    service.process = subprocess.Popen(
        service.command, cwd=service.cwd, env={**os.environ, **service.env},
        stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _wait_ready(service: Service, deadline: float, started: list[Service] | None = None) -> str | None:
    """None when ready, else why not. A server started before it (``started``) that dies meanwhile also ends
    the wait: the web service's health check would otherwise just stay "degraded" until the deadline."""
    while time.monotonic() < deadline:
        for running in started or []:
            if not running.alive():
                code = running.process.returncode if running.process else "?"
                return f"the {running.name} stopped (exit code {code})"
        if not service.alive():
            return f"{service.name} exited with code {service.process.returncode if service.process else '?'}"
        try:
            if httpx.get(service.ready_url, timeout=2.0).status_code == 200:
                return None
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return f"{service.name} did not become ready in time"


def stop_all(services: list[Service], grace_s: float = 10.0) -> None:
    """SIGTERM every running service (whole process group), then SIGKILL what is left."""
    for service in reversed(services):
        if service.alive():
            os.killpg(service.process.pid, signal.SIGTERM)  # type: ignore[union-attr]
    deadline = time.monotonic() + grace_s
    for service in services:
        if service.process is None:
            continue
        try:
            service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait()


def preflight(settings: RunSettings) -> tuple[list[str], Path | None]:
    """Problems that must stop a start before anything runs, and the model to serve."""
    problems = []
    for name, port in (("web service", settings.web_port), ("Rasa server", settings.rasa_port),
                       ("action server", settings.action_port)):
        if port_in_use(settings.host, port):
            problems.append(f"port {port} ({name}) is already in use on {settings.host}")
    model = trained_model(settings.bot_dir)
    if model is None:
        problems.append("no trained Rasa model in bot/models; run `make train` (or `make run`)")
    index_ok, detail = check_index(KnowledgeSettings().index_dir)
    if not index_ok:
        problems.append(detail)
    problems += channel_problems(ChannelSettings())
    if not (settings.rasa_venv / "bin" / "rasa").exists():
        problems.append(f"Rasa is not installed at {settings.rasa_venv}; run `make setup`")
    return problems, model


def run_stack(settings: RunSettings) -> int:
    """Start, supervise and stop the three servers; returns the process exit code."""
    problems, model = preflight(settings)
    if problems:
        for problem in problems:
            print(f"trialbot run: {problem}", file=sys.stderr)
        return 1
    settings.tracker_db.parent.mkdir(parents=True, exist_ok=True)
    services = plan_services(settings, model)  # type: ignore[arg-type]
    stopping = {"signal": False}

    def on_signal(signum: int, _frame: object) -> None:
        stopping["signal"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        deadline = time.monotonic() + settings.startup_timeout_s
        for service in services:
            print(f"starting {service.name} on port {service.port} ...", flush=True)
            _start(service, settings.log_dir)
            problem = _wait_ready(service, deadline, started=services[:services.index(service)])
            if stopping["signal"]:
                return 0
            if problem:
                print(f"trialbot run: {problem}; stopping the others. Logs: {settings.log_dir}", file=sys.stderr)
                return 1
        print(f"\nThe assistant is ready: http://{settings.host}:{settings.web_port}  (Ctrl-C stops it)\n",
              flush=True)
        while not stopping["signal"]:
            for service in services:
                if not service.alive():
                    code = service.process.returncode if service.process else "?"
                    print(f"trialbot run: the {service.name} stopped (exit code {code}); stopping the others.",
                          file=sys.stderr)
                    return 1
            time.sleep(0.5)
        print("stopping ...", flush=True)
        return 0
    finally:
        stop_all(services)
