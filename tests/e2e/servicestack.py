"""The three real servers started one by one (as ``trialbot run`` starts them), so a test can kill and restart one.

:func:`start_services` plans the services with ``trialbot.runner.plan_services`` on free ports, starts each with
``trialbot.runner._start`` (its own process group, output appended to ``log_dir/<name>.log``) and waits until
it is ready. :meth:`ServiceStack.kill` sends SIGKILL to a server's whole process group (a crash, not a clean
stop); :meth:`ServiceStack.restart` starts it again with the same command, port and environment.
Conversations go to ``log_dir/tracker.db`` and cases to ``log_dir/cases.db``.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from trialbot.runner import Service, _start, _wait_ready, plan_services, port_in_use, stop_all, trained_model
from trialbot.settings import RunSettings
from trialbot.stack import free_port

NAMES = {"web": "web service", "rasa": "Rasa server", "actions": "action server"}


@dataclass
class ServiceStack:
    services: dict[str, Service]
    log_dir: Path
    database_url: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.services['web'].port}"

    def kill(self, name: str) -> int:
        """SIGKILL the server's process group; returns the pid that was killed. Waits until its port is free."""
        service = self.services[name]
        assert service.process is not None and service.alive(), f"{service.name} is not running"
        pid = service.process.pid
        os.killpg(pid, signal.SIGKILL)
        service.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while port_in_use("127.0.0.1", service.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        return pid

    def start(self, name: str, timeout_s: float = 300) -> None:
        service = self.services[name]
        _start(service, self.log_dir)
        problem = _wait_ready(service, time.monotonic() + timeout_s)
        if problem:
            raise RuntimeError(f"{problem}\n{self.log_tail(name)}")

    def restart(self, name: str, timeout_s: float = 300) -> tuple[int, int]:
        """Kill and start again; returns (old pid, new pid)."""
        old = self.kill(name)
        self.start(name, timeout_s)
        return old, self.services[name].process.pid  # type: ignore[union-attr]

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.log_dir / f"{self.services[name].name.replace(' ', '-')}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))

    def stop(self) -> None:
        stop_all(list(self.services.values()))


def start_services(log_dir: Path, extra_env: dict[str, str] | None = None,
                   per_service_env: dict[str, dict[str, str]] | None = None) -> ServiceStack:
    """Start actions, Rasa and web on free ports (in that order). A fixed session secret is set, so console
    sessions outlive a restart of the web service, as they do when a deployment sets one."""
    log_dir.mkdir(parents=True, exist_ok=True)
    settings = RunSettings(web_port=free_port(), rasa_port=free_port(), action_port=free_port(), log_dir=log_dir,
                           tracker_db=log_dir / "tracker.db")
    model = trained_model(settings.bot_dir)
    if model is None:
        raise RuntimeError("no trained Rasa model in bot/models")
    database_url = f"sqlite:///{log_dir / 'cases.db'}"
    common = {"TRIALBOT_DATABASE_URL": database_url, "TRIALBOT_SESSION_SECRET": secrets.token_urlsafe(48),
              "TRIALBOT_LOG_DIR": str(log_dir), **(extra_env or {})}
    planned = plan_services(settings, model)
    services = {}
    for key, service in zip(("actions", "rasa", "web"), planned, strict=True):
        assert service.name == NAMES[key], service.name
        service.env = {**service.env, **common, **(per_service_env or {}).get(key, {})}
        services[key] = service
    stack = ServiceStack(services, log_dir, database_url)
    try:
        for key in ("actions", "rasa", "web"):
            stack.start(key)
    except (RuntimeError, subprocess.SubprocessError):
        stack.stop()
        raise
    return stack
