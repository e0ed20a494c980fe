"""A throw-away PostgreSQL server from Debian's package, for tests.

:func:`running_postgres` finds ``/usr/lib/postgresql/<version>/bin``, creates a cluster in a new temporary
folder (owned by the ``postgres`` user when the tests run as root, since PostgreSQL refuses to run as root),
with a random superuser password and SCRAM authentication, starts it on a free 127.0.0.1 port with its
Unix socket in the same temporary folder, and yields a :class:`PostgresServer`. Everything is stopped and
removed afterwards. It never touches a system cluster.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


@dataclass
class PostgresServer:
    host: str
    port: int
    password: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres:{self.password}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        with psycopg.connect(host=self.host, port=self.port, user="postgres", password=self.password,
                             dbname="postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def find_bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if not candidates:
        raise PostgresMissing(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb). Install Debian's "
            "`postgresql` package: `make system-deps` (or apt-get install postgresql)."
        )
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(_as_postgres(command), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="trialbot-pg-"))
    data, log, pwfile = root / "data", root / "server.log", root / "pwfile"
    password = secrets.token_urlsafe(24)
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (root, pwfile):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = _free_port()
    started = False
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", f"--pwfile={pwfile}",
              "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"], "initdb")
        options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"],
             "pg_ctl start")
        started = True
        yield PostgresServer("127.0.0.1", port, password)
    except RuntimeError as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"{exc}\n{tail}") from None
    finally:
        if started:
            subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
