"""``trialbot navigator add|list`` as an administrator runs it (the real command, in a subprocess)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cases.store import CaseStore

pytestmark = pytest.mark.integration

TRIALBOT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "trialbot"
PASSWORD = "correct horse battery staple"


def trialbot(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRIALBOT_DATABASE_URL": url}
    return subprocess.run([str(TRIALBOT), "navigator", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120, cwd="/")


def test_add_and_list_navigators(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    added = trialbot(url, "add", "mei", "--trials", "NCT07520357", "NCT00000001", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "mei" in added.stdout and PASSWORD not in added.stdout + added.stderr
    listed = trialbot(url, "list")
    assert listed.returncode == 0
    assert listed.stdout.split("\t")[:2] == ["mei", "NCT07520357,NCT00000001"]
    store = CaseStore.from_url(url)
    try:
        assert store.verify_navigator("mei", PASSWORD) is not None
    finally:
        store.dispose()


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (["add", "mei"], "\n", 2, "empty"),
        (["add", "mei"], "", 2, "empty"),
        (["add", "mei"], "short\n", 2, "at least 12"),
        (["add", "Mei Lin"], PASSWORD + "\n", 2, "username"),
        (["add", "mei", "--trials", "not a trial"], PASSWORD + "\n", 2, "not a trial id"),
    ],
)
def test_refuses_bad_input_and_creates_nobody(tmp_path: Path, args: list[str], stdin: str, code: int,
                                              message: str) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    result = trialbot(url, *args, stdin=stdin)
    assert result.returncode == code
    assert message in result.stderr
    assert trialbot(url, "list").stdout == ""


def test_an_existing_username_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    assert trialbot(url, "add", "mei", stdin=PASSWORD + "\n").returncode == 0
    again = trialbot(url, "add", "mei", stdin="another long password\n")
    assert again.returncode == 1 and "exists already" in again.stderr
