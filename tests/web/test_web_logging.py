"""What the web service logs: no message text, no contact details, no Rasa token.

In process (``TestClient``, pytest's log capture) and as production runs it (``uvicorn --factory
web.app:app_factory`` in a subprocess, its stderr read back), against the console tests' Rasa stand-in,
which echoes each message back ("You said: ...") and checks the API token.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from navfakes import FakeRasa, start_fake_rasa

from trialbot.settings import REPO_ROOT, WebSettings
from trialbot.stack import free_port
from web.app import create_app

pytestmark = pytest.mark.integration

TOKEN = "rasa-token-that-must-never-be-logged-0123"
SENDER = "9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
PHONE, EMAIL = "+44 20 7946 0958", "ana.lopez@example.com"
SECRET_WORDS = "my husband Miguel has a rash"
MESSAGE = f"{SECRET_WORDS}, call me on {PHONE} or write to {EMAIL}"
FORBIDDEN = (PHONE, "7946", EMAIL, "ana.lopez", SECRET_WORDS, "Miguel", TOKEN)


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    fake, server = start_fake_rasa(TOKEN)
    yield fake
    server.shutdown()
    server.server_close()


def settings_for(fake: FakeRasa, tmp_path: Path) -> WebSettings:
    return WebSettings(rasa_url=fake.url, action_server_url=fake.url, index_dir=tmp_path / "index",
                       database_url=f"sqlite:///{tmp_path / 'cases.db'}", rasa_token=TOKEN)


def assert_clean(text: str) -> None:
    for forbidden in FORBIDDEN:
        assert forbidden not in text, forbidden


def test_a_conversation_leaves_no_text_contact_details_or_token_in_the_logs(
    fake_rasa: FakeRasa, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), TestClient(create_app(settings_for(fake_rasa, tmp_path))) as client:
        reply = client.post("/api/chat", json={"sender": SENDER, "message": MESSAGE})
        assert PHONE in reply.text  # the stand-in echoed it: it went through, it just is not logged
        live = client.get("/api/chat/messages", params={"sender": SENDER, "after": -1})
        assert live.status_code == 200
        fake_rasa.down = True
        client.get("/api/chat/messages", params={"sender": SENDER, "after": -1})  # an error path too
    assert any(call.query.get("token") == TOKEN for call in fake_rasa.calls)  # the token was really used
    assert "chat sender=" in caplog.text  # something was logged about each request
    assert_clean(caplog.text)


def test_the_app_redacts_what_any_logger_writes(
    fake_rasa: FakeRasa, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Defence in depth: should some code (ours or a library's) log contact details, they are redacted."""
    create_app(settings_for(fake_rasa, tmp_path))
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").info("callback requested at %s, %s", PHONE, EMAIL)
    assert "callback requested at [PHONE], [EMAIL]" in caplog.text
    assert_clean(caplog.text)


def test_http_client_request_lines_are_not_logged_even_when_everything_else_is(
    fake_rasa: FakeRasa, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("httpx", "httpcore"):
        caplog.set_level(logging.NOTSET, logger=name)  # as if nothing had quietened them before
    with caplog.at_level(logging.DEBUG):
        create_app(settings_for(fake_rasa, tmp_path))
        for name in ("httpx", "httpcore"):
            assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name


@pytest.fixture
def served_factory(fake_rasa: FakeRasa, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The web service as ``trialbot run`` starts it, with its stderr going to a file."""
    port, log = free_port(), tmp_path / "web.log"
    env = {**os.environ, "TRIALBOT_RASA_URL": fake_rasa.url, "TRIALBOT_ACTION_SERVER_URL": fake_rasa.url,
           "TRIALBOT_RASA_TOKEN": TOKEN, "TRIALBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cases.db'}",
           "TRIALBOT_INDEX_DIR": str(tmp_path / "index"), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "web.app:app_factory", "--host", "127.0.0.1",
             "--port", str(port)], cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_served_web_service_logs_requests_but_no_text_contact_details_or_token(
    served_factory: tuple[str, Path], fake_rasa: FakeRasa
) -> None:
    url, log = served_factory
    with httpx.Client(base_url=url, trust_env=False, timeout=10) as http:
        assert http.post("/api/chat", json={"sender": SENDER, "message": MESSAGE}).status_code == 200
        assert http.get("/api/chat/messages", params={"sender": SENDER, "after": -1}).status_code == 200
        # uvicorn's access log is on here (trialbot run turns it off): query strings are redacted too
        http.get("/no-such-page", params={"mail": EMAIL, "tel": PHONE})
    time.sleep(0.3)
    text = log.read_text()
    assert "chat sender=" in text and "-> 1 messages" in text  # the app's own INFO lines are written
    assert "/no-such-page?mail=[EMAIL]" in text  # the access log line survived redaction, in shape
    assert_clean(text.replace("%2B44+20+7946+0958", ""))  # checked below in its URL-encoded form
    assert "7946" not in text
