"""The three real servers started one by one (with the commands of ``trialbot run``), so that tests and
benchmarks can kill and restart any of them.

:func:`start_services` plans the services with ``trialbot.runner.plan_services`` on free localhost ports (Rasa's
HTTP API on, with a token), starts each with ``trialbot.runner._start`` (its own process group, output appended to
``log_dir/<name>.log``) and waits until it is ready. Conversations go to ``log_dir/tracker.db`` (Rasa's SQL
tracker store) and cases to ``log_dir/cases.db``. :meth:`ServiceStack.kill` sends SIGKILL to a server's process
group (a crash, not a clean stop); :meth:`ServiceStack.start` starts it again with the same command, port and
environment.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self, TypeVar

from trialbot.runner import Service, _start, _wait_ready, plan_services, port_in_use, stop_all, trained_model
from trialbot.settings import RunSettings
from trialbot.stack import free_port

KEYS = ("actions", "rasa", "web")  # start order; plan_services returns them in this order
NAMES = {"actions": "action server", "rasa": "Rasa server", "web": "web service"}


class StackStartError(RuntimeError):
    """A server did not become ready; the message holds the end of its log."""


@dataclass
class ServiceStack:
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

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.cases_db}"

    def pid(self, key: str) -> int | None:
        service = self.services[key]
        return service.process.pid if service.process is not None and service.alive() else None

    def kill(self, key: str) -> int | None:
        """SIGKILL the server's process group and wait until its port is free; returns the pid (None: not running)."""
        service = self.services[key]
        pid = self.pid(key)
        if pid is None:
            return None
        os.killpg(pid, signal.SIGKILL)
        service.process.wait(timeout=30)  # type: ignore[union-attr]
        deadline = time.monotonic() + 30
        while port_in_use("127.0.0.1", service.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        return pid

    def start(self, key: str, timeout_s: float = 300) -> float:
        """Start one server with its planned command; returns the seconds until it was ready."""
        started = time.monotonic()
        _start(self.services[key], self.log_dir)
        problem = _wait_ready(self.services[key], started + timeout_s)
        if problem:
            raise StackStartError(f"{problem}\n{self.log_tail(key)}")
        return time.monotonic() - started

    def restart(self, key: str, timeout_s: float = 300) -> tuple[int | None, int]:
        """Kill and start again; returns (old pid, new pid)."""
        old = self.kill(key)
        self.start(key, timeout_s)
        return old, self.services[key].process.pid  # type: ignore[union-attr]

    def log_tail(self, key: str, chars: int = 4000) -> str:
        path = self.log_dir / f"{self.services[key].name.replace(' ', '-')}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))

    def stop(self) -> None:
        stop_all([self.services[key] for key in KEYS])

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Leaving a ``with start_services(...)`` block stops every server, however the block ends."""
        self.stop()


StackT = TypeVar("StackT", bound=ServiceStack)


def start_services(log_dir: Path, extra_env: dict[str, str] | None = None,
                   per_service_env: dict[str, dict[str, str]] | None = None,
                   stack_class: type[StackT] = ServiceStack) -> StackT:  # type: ignore[assignment]
    """Start the action server, Rasa and the web service on free localhost ports, in that order. A fixed session
    secret is set, so console sessions outlive a restart of the web service, as they do when a deployment sets one."""
    log_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(24)
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
        service.env = {**service.env, **common, **(per_service_env or {}).get(key, {})}
        services[key] = service
    stack = stack_class(services, log_dir, token)
    try:
        for key in KEYS:
            stack.start(key)
    except BaseException:
        stack.stop()
        raise
    return stack
