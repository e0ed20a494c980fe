"""The ``trialbot`` command as a user runs it: real processes, real index and model."""

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from trialbot.settings import REPO_ROOT

pytestmark = pytest.mark.integration
TRIALBOT = str(REPO_ROOT / ".venv" / "bin" / "trialbot")


def trialbot(*args: str, stdin: str = "", env: dict | None = None, timeout: int = 300):
    return subprocess.run([TRIALBOT, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
                          cwd=REPO_ROOT, env={**os.environ, **(env or {})})


def test_ask_json_answers_each_line_in_order(retriever):
    questions = ["How often is SHR-A1904 given?", "What is the best treatment for a sprained ankle?",
                 "my dad had Enhertu, can he still join?"]
    result = trialbot("ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    for row in rows:
        assert set(row) == {"question", "answer", "confident", "citations"}
    schedule, ankle, enhertu = rows
    assert schedule["confident"] is True and "every 3 weeks" in schedule["answer"]
    assert set(schedule["citations"][0]) == {"source", "section", "score", "text"}
    assert ankle["confident"] is False and ankle["citations"] == []
    assert "navigator" in ankle["answer"] and "does not cover" in ankle["answer"]
    assert enhertu["confident"] is True and "trastuzumab deruxtecan" in enhertu["answer"].lower()
    assert "trial team" in enhertu["answer"]


def test_ask_without_json_prints_the_answer_for_a_person(retriever):
    result = trialbot("ask", "Who sponsors the trial?")
    assert result.returncode == 0
    assert "Beijing GoBroad Hospital" in result.stdout and "Source:" in result.stdout
    assert not result.stdout.lstrip().startswith("{")


def test_index_is_skipped_when_nothing_changed(retriever):
    result = trialbot("index")
    assert result.returncode == 0 and "up to date" in result.stdout


def test_a_corrupt_index_gives_a_clear_error_not_a_traceback(tmp_path: Path, retriever, knowledge_settings):
    broken = tmp_path / "index"
    shutil.copytree(knowledge_settings.index_dir, broken)
    (broken / "chunks.faiss").write_bytes(b"this is not a faiss index")
    result = trialbot("ask", "--json", stdin="what is the trial?\n", env={"TRIALBOT_INDEX_DIR": str(broken)})
    assert result.returncode == 2
    assert "trialbot index" in result.stderr and "rebuild" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_refuses_to_start_when_a_port_is_taken():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = trialbot("run", "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert f"port {port} (web service) is already in use" in result.stderr
    assert "starting" not in result.stdout  # nothing was half-started


def test_screen_json_prints_one_result_per_line():
    facts = [{"age": 62, "nec_confirmed": True}, {"age": 80}, "not an object"]
    result = trialbot("screen", "--json", stdin="\n".join(json.dumps(f) for f in facts) + "\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    assert rows[0]["outcome"] == "needs_review"
    assert rows[1]["outcome"] == "not_eligible"
    assert "error" in rows[2]
    assert result.returncode == 1
