"""The scale-out stack on one machine: real PostgreSQL and Redis, several Rasa servers sharing them, one action server.

:func:`running_scale_stack` starts, on free 127.0.0.1 ports:

- PostgreSQL from Debian's package (``tests/cases/pgserver.py``'s ``running_postgres``, a throw-away cluster);
  it holds Rasa's tracker store (database ``rasa``, created by Rasa itself through ``login_db``) and the case
  database (``cases``);
- Redis from Debian's ``redis-server`` package, with a password and no persistence, as Rasa's lock store;
- one action server (``python -m actions.server``), as ``trialbot run`` starts it;
- ``rasa_servers`` Rasa servers in parallel, each ``rasa run`` with the production endpoints file
  ``bot/endpoints.production.yml`` (the same file docker-compose uses), filled in through environment variables,
  with the HTTP API on and a token.

It yields a :class:`ScaleStack` and stops everything afterwards (process groups, then the databases). Missing
PostgreSQL or Redis binaries raise :class:`StoreMissing` saying what to install; nothing is skipped.
The end-to-end test ``tests/e2e/test_scale_out.py`` and the benchmark ``evaluation/scale_benchmark.py`` use it.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Protocol

from knowledge.index_store import check_index
from trialbot.runner import Service, _start, _wait_ready, stop_all
from trialbot.settings import REPO_ROOT, KnowledgeSettings, RunSettings
from trialbot.stack import free_port

MODEL = REPO_ROOT / "bot" / "models" / "trialbot.tar.gz"
ENDPOINTS = "endpoints.production.yml"
TRACKER_DB = "rasa"  # Rasa's tracker store database; the case database is "cases"
INSTALL_HINT = "install Debian's packages with `make system-deps` (apt-get install postgresql redis-server)"


class StoreMissing(RuntimeError):
    """PostgreSQL or Redis server binaries are not installed."""


class Postgres(Protocol):
    """What the stack needs of ``tests/cases/pgserver.py``'s ``PostgresServer``."""

    host: str
    port: int
    password: str

    def url(self, database: str) -> str: ...

    def create_database(self, name: str) -> str: ...


@dataclass
class RedisServer:
    host: str
    port: int
    password: str


@dataclass
class ScaleStack:
    """The running stack: the Rasa servers' URLs, the token of their HTTP API, and where state lives."""

    rasa_urls: list[str]
    action_url: str
    token: str
    tracker_url: str  # SQLAlchemy URL (psycopg) of Rasa's tracker database on PostgreSQL
    case_url: str
    redis: RedisServer
    services: list[Service]
    log_dir: Path

    def logs(self, chars: int = 3000) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-chars:]}" for p in sorted(
            self.log_dir.glob("*.log")))


def _load_pgserver() -> ModuleType:
    """``tests/cases/pgserver.py``: the project's throw-away PostgreSQL helper (tests/ is not a package)."""
    path = REPO_ROOT / "tests" / "cases" / "pgserver.py"
    spec = importlib.util.spec_from_file_location("trialbot_pgserver", path)
    if spec is None or spec.loader is None:
        raise StoreMissing(f"{path} is missing")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("trialbot_pgserver", module)
    spec.loader.exec_module(module)
    return module


def _redis_ping(server: RedisServer, timeout_s: float = 1.0) -> bool:
    """AUTH then PING over Redis's own protocol; True when both answer OK."""
    try:
        with socket.create_connection((server.host, server.port), timeout=timeout_s) as sock:
            sock.sendall(f"AUTH {server.password}\r\nPING\r\n".encode())
            reply = b""
            while b"PONG" not in reply and b"-" not in reply[:1]:
                chunk = sock.recv(256)
                if not chunk:
                    break
                reply += chunk
            return reply.startswith(b"+OK") and b"+PONG" in reply
    except OSError:
        return False


@contextmanager
def running_redis(timeout_s: float = 30.0) -> Iterator[RedisServer]:
    """A Redis server from Debian's package on a free localhost port, password-protected, no persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise StoreMissing(f"redis-server not found: {INSTALL_HINT}")
    root = Path(tempfile.mkdtemp(prefix="trialbot-redis-"))
    server = RedisServer("127.0.0.1", free_port(), secrets.token_urlsafe(24))
    config = root / "redis.conf"  # the password goes in a file, not on the command line
    config.write_text(f"port {server.port}\nbind 127.0.0.1\nprotected-mode yes\nsave \"\"\nappendonly no\n"
                      f"dir {root}\nlogfile {root / 'redis.log'}\nrequirepass {server.password}\n")
    process = subprocess.Popen([binary, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while not _redis_ping(server):
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "redis.log").read_text(errors="replace")[-2000:] if (root / "redis.log").exists() else ""
                raise RuntimeError(f"redis-server did not start (exit {process.poll()}):\n{log}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """PostgreSQL from Debian's package (the tests' helper), with its "missing" error turned into ours."""
    pgserver = _load_pgserver()
    try:
        with pgserver.running_postgres() as server:
            yield server
    except pgserver.PostgresMissing as exc:
        raise StoreMissing(str(exc)) from None


def rasa_service(name: str, port: int, token: str, env: dict[str, str], settings: RunSettings) -> Service:
    """One Rasa server with the production endpoints file (PostgreSQL tracker store, Redis lock store)."""
    command = [str(settings.rasa_venv / "bin" / "rasa"), "run", "--model", str(MODEL), "--endpoints", ENDPOINTS,
               "--credentials", "credentials.yml", "--interface", "127.0.0.1", "--port", str(port),
               "--enable-api", f"--auth-token={token}"]
    return Service(name, port, command, f"http://127.0.0.1:{port}/", settings.bot_dir, env)


def plan(postgres: Postgres, redis: RedisServer, case_url: str, log_dir: Path, rasa_servers: int,
         token: str) -> list[Service]:
    """The action server, then the Rasa servers, with the environment docker-compose gives them."""
    settings = RunSettings()
    repo = settings.bot_dir.parent
    base = {"PYTHONUNBUFFERED": "1", "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONPATH": os.pathsep.join([str(repo), str(settings.bot_dir)])}
    action_port = free_port()
    tracker_url = postgres.url(TRACKER_DB)
    actions = Service(
        "action server", action_port,
        [sys.executable, "-m", "actions.server", "--host", "127.0.0.1", "--port", str(action_port)],
        f"http://127.0.0.1:{action_port}/health", repo,
        {**base, "TRIALBOT_DATABASE_URL": case_url, "TRIALBOT_TRACKER_URL": tracker_url,
         "TRIALBOT_TRACKER_DB": str(log_dir / "unused-tracker.db"), "TRIALBOT_LOG_DIR": str(log_dir)},
    )
    stores = {
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "POSTGRES_HOST": postgres.host, "POSTGRES_PORT": str(postgres.port),
        "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": postgres.password,
        "POSTGRES_DB": "postgres", "RASA_TRACKER_DB": TRACKER_DB,
        "REDIS_HOST": redis.host, "REDIS_PORT": str(redis.port), "REDIS_PASSWORD": redis.password,
    }
    rasas = [rasa_service(f"Rasa server {i + 1}", free_port(), token, {**base, **stores}, settings)
             for i in range(rasa_servers)]
    return [actions, *rasas]


def _start_and_wait(services: list[Service], log_dir: Path, timeout_s: float) -> None:
    """Start all services at once (Rasa takes ~30-60 s to load its model) and wait until each answers."""
    for service in services:
        _start(service, log_dir)
    deadline = time.monotonic() + timeout_s
    for service in services:
        problem = _wait_ready(service, deadline)
        if problem:
            raise RuntimeError(problem)


@contextmanager
def running_scale_stack(log_dir: Path, rasa_servers: int = 2, timeout_s: float = 420.0) -> Iterator[ScaleStack]:
    """PostgreSQL, Redis, one action server and ``rasa_servers`` Rasa servers sharing the stores (see module doc)."""
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}; run `make train`")
    index_ok, detail = check_index(KnowledgeSettings().index_dir)  # the action server needs it
    if not index_ok:
        raise RuntimeError(detail)
    log_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    with ExitStack() as stack:
        postgres = stack.enter_context(running_postgres())
        redis = stack.enter_context(running_redis())
        case_url = postgres.create_database("cases")
        services = plan(postgres, redis, case_url, log_dir, rasa_servers, token)
        stack.callback(stop_all, services)
        try:
            _start_and_wait(services, log_dir, timeout_s)
        except RuntimeError as exc:
            logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in log_dir.glob("*.log"))
            raise RuntimeError(f"{exc}\n{logs}") from None
        yield ScaleStack(
            rasa_urls=[f"http://127.0.0.1:{s.port}" for s in services[1:]],
            action_url=f"http://127.0.0.1:{services[0].port}",
            token=token, tracker_url=postgres.url(TRACKER_DB),
            case_url=case_url, redis=redis, services=services, log_dir=log_dir,
        )
