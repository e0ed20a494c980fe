"""The navigator console and the widget's live navigator messages in real headless Chromium, against the
app served by uvicorn, a real case store (SQLite) and the fake Rasa API (``navfakes``)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from navfakes import FakeRasa
from navfixtures import PASSWORD, PATIENT, RASA_TOKEN, make_case
from webfakes import ServedApp

from trialbot.settings import WebSettings
from web.app import create_app

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("TRIALBOT_CHROMIUM", "/usr/bin/chromium"))
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
XSS = "<script>window.__pwned = 1</script>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (make system-deps)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def served(case_store, fake_rasa: FakeRasa, tmp_path: Path) -> Iterator[str]:
    settings = WebSettings(
        rasa_url=fake_rasa.url, action_server_url=fake_rasa.url, index_dir=tmp_path / "index",
        database_url=f"sqlite:///{tmp_path / 'unused.db'}", session_secret=secrets.token_urlsafe(48),
        rasa_token=RASA_TOKEN,  # cookie_secure stays True: Chromium keeps Secure cookies on http://127.0.0.1
    )
    app = ServedApp(create_app(settings, case_store=case_store)).start()
    yield app.url
    app.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))


    def on_console(msg: Any) -> None:
        # A refused sign-in (401) and the missing favicon (404) are logged as failed loads; those are expected.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(msg.text)

    page.on("console", on_console)
    yield page
    context.close()
    assert problems == []  # no CSP violation, no script error


def test_a_navigator_signs_in_opens_a_case_and_answers_the_patient(page: Any, served: str, case_store,
                                                                     fake_rasa: FakeRasa) -> None:
    urgent = make_case(case_store, sender="someone-else", urgency="urgent")
    case = make_case(case_store)
    fake_rasa.add_conversation(PATIENT, [
        {"event": "user", "text": "Can I join the trial?", "timestamp": 1_800_000_000, "input_channel": "rest"},
        {"event": "bot", "text": "I can check a few things with you.", "timestamp": 1_800_000_001},
        {"event": "user", "text": XSS, "timestamp": 1_800_000_002, "input_channel": "rest"},
    ])

    page.goto(served + "/navigator")
    assert page.url.endswith("/navigator/login")
    page.get_by_test_id("login-username").fill("mei")
    page.get_by_test_id("login-password").fill("wrong password!")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("login-error").filter(has_text="not right").wait_for()
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(served + "/navigator")
    cookies = page.context.cookies()
    [session] = [c for c in cookies if c["name"] == "__Host-trialbot_nav"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"

    rows = page.get_by_test_id("group-new").get_by_test_id("queue-row")
    assert [rows.nth(i).get_attribute("data-reference") for i in range(rows.count())] == [
        urgent.reference, case.reference]
    rows.nth(1).get_by_test_id("case-link").click()
    page.wait_for_url(f"{served}/navigator/cases/{case.id}")

    messages = page.get_by_test_id("transcript-message")
    assert messages.count() == 3
    assert messages.nth(0).locator(".msg-text").inner_text() == "Can I join the trial?"
    assert messages.nth(2).locator(".msg-text").inner_text() == XSS  # shown as text, never run
    assert page.evaluate("window.__pwned") is None
    table = page.get_by_test_id("criteria-table")
    assert table.is_visible()
    statuses = table.get_by_test_id("criterion-row")
    assert [statuses.nth(i).get_attribute("data-status") for i in range(statuses.count())] == [
        "met", "unknown", "not_met"]
    assert "Unknown" in statuses.nth(1).inner_text()
    unknown_background = statuses.nth(1).locator("td").first.evaluate("td => getComputedStyle(td).backgroundColor")
    met_background = statuses.nth(0).locator("td").first.evaluate("td => getComputedStyle(td).backgroundColor")
    assert unknown_background != met_background  # unknowns are highlighted

    page.get_by_test_id("take").click()
    page.get_by_test_id("reply-text").wait_for()
    page.get_by_test_id("reply-text").fill("Hello, this is Mei from the trial team.")
    page.get_by_test_id("reply-send").click()
    page.get_by_test_id("transcript-message").filter(has_text="Hello, this is Mei").wait_for()
    assert fake_rasa.paused[PATIENT] is True
    assert fake_rasa.events_of(PATIENT)[-1]["metadata"]["navigator"] is True

    page.get_by_test_id("note-text").fill("Patient asked about joining; called back at 10:00.")
    page.get_by_test_id("note-save").click()
    page.get_by_test_id("note").filter(has_text="called back at 10:00").wait_for()
    page.get_by_test_id("status-select").select_option("contacted")
    page.get_by_test_id("status-save").click()
    page.get_by_test_id("case-status").filter(has_text="Contacted").wait_for()
    assert case_store.get_case(case.id).status == "contacted"


def test_the_widget_shows_a_navigator_reply_once(page: Any, served: str, fake_rasa: FakeRasa) -> None:
    page.goto(served + "/")
    page.get_by_test_id("chat-launcher").click()
    page.get_by_test_id("bot-message").first.wait_for()  # "You said: /greet" from the fake
    sender = page.evaluate("localStorage.getItem('trialbot.sender')")
    fake_rasa.paused[sender] = True
    with fake_rasa.lock:
        fake_rasa.trackers[sender].append({"event": "bot", "text": "Hi, I'm Mei, a patient navigator.",
                                           "metadata": {"navigator": True}})
    reply = page.get_by_test_id("navigator-message")
    reply.wait_for(timeout=15_000)
    assert "Patient navigator" in reply.inner_text() and "Hi, I'm Mei" in reply.inner_text()
    page.get_by_test_id("chat-input").fill("thank you")
    page.get_by_test_id("chat-send").click()
    page.get_by_test_id("user-message").filter(has_text="thank you").wait_for()
    # Several polls later the reply is still shown once, and again once after a reload.
    # A poll after "thank you" moved the cursor past it; the reply is still shown once.
    page.wait_for_function("() => Number(sessionStorage.getItem('trialbot.cursor')) >= 3", timeout=15_000)
    assert page.get_by_test_id("navigator-message").count() == 1
    with page.expect_response(lambda r: "/api/chat/messages" in r.url, timeout=15_000) as polled:
        page.reload()
    assert polled.value.status == 200
    page.get_by_test_id("navigator-message").first.wait_for()
    with page.expect_response(lambda r: "/api/chat/messages" in r.url, timeout=15_000):
        pass  # one more poll after the reload
    assert page.get_by_test_id("navigator-message").count() == 1
