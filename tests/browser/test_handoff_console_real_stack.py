"""The whole handoff in real headless Chromium against the real stack (``trialbot run``: web, Rasa, actions):

1. a patient asks for a person in the widget, consents, chooses phone, leaves a number, language and time, and
   gets a case reference;
2. a navigator (added with ``trialbot navigator add``) signs in, finds the case in the queue and its transcript;
3. the navigator takes over and replies; the patient sees the reply in the widget, and the bot stays silent;
4. the navigator hands back, and the bot answers a trial question again.

Screenshots go to the test's temporary folder. With ``TRIALBOT_UPDATE_SCREENSHOTS=1`` the case page is also
saved as ``docs/console.png`` (the README's picture).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trialbot.settings import REPO_ROOT

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
CHROMIUM = Path(os.environ.get("TRIALBOT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PASSWORD = "correct horse battery staple"
PHONE = "+44 20 7946 0958"
REFERENCE = re.compile(r"NT-[2-9A-HJ-NP-Z]{6}")
SLOW = 60_000  # ms: a turn through Rasa and the action server on a busy two-core machine
DOCS_PICTURE = REPO_ROOT / "docs" / "console.png"


@pytest.fixture(scope="module")
def navigator_account(stack) -> str:
    """A navigator for the trial, added as a site would: ``trialbot navigator add`` with the password on stdin."""
    env = {**os.environ, "TRIALBOT_DATABASE_URL": f"sqlite:///{stack.log_dir / 'cases.db'}"}
    done = subprocess.run([str(REPO_ROOT / ".venv" / "bin" / "trialbot"), "navigator", "add", "mei", "--trials",
                           "NCT07520357"], input=PASSWORD + "\n", env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return "mei"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (make system-deps)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_page(browser: Any, problems: list[str], width: int = 1280, height: int = 900) -> Any:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error"
            and not msg.text.startswith("Failed to load resource") else None)
    return page


def bot_says(page: Any, text: str, timeout: int = SLOW) -> Any:
    message = page.get_by_test_id("bot-message").filter(has_text=text).last
    expect(message).to_be_visible(timeout=timeout)
    return message


def type_message(page: Any, text: str) -> None:
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-send").click()
    expect(page.get_by_test_id("user-message").filter(has_text=text).last).to_be_visible(timeout=SLOW)


def choose(page: Any, title: str) -> None:
    page.get_by_test_id("chat-choice").filter(has_text=title).last.click()


def scrolled_to_end(page: Any) -> bool:
    return page.get_by_test_id("transcript").evaluate("l => l.scrollHeight - l.scrollTop - l.clientHeight < 40")


def save_docs_picture(shot: Path) -> None:
    if os.environ.get("TRIALBOT_UPDATE_SCREENSHOTS") == "1":
        DOCS_PICTURE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_PICTURE)


def test_handoff_to_a_navigator_and_back_to_the_bot(stack, navigator_account: str, browser: Any,
                                                    tmp_path: Path) -> None:
    problems: list[str] = []
    patient = new_page(browser, problems, 420, 800)
    navigator = new_page(browser, problems)

    # 1. The patient asks for a person and leaves a phone number, a language and a time.
    patient.goto(stack.url)
    patient.get_by_test_id("chat-launcher").click()
    bot_says(patient, "automated assistant")
    type_message(patient, "I want to talk to a person")
    bot_says(patient, "Is that okay?")
    choose(patient, "Yes, that's okay")
    bot_says(patient, "How would you like to be contacted?")
    choose(patient, "Phone")
    bot_says(patient, "What phone number should the navigator call?")
    type_message(patient, PHONE)
    bot_says(patient, "Which language would you prefer?")
    choose(patient, "English")
    bot_says(patient, "When is a good time to reach you")
    type_message(patient, "weekday mornings")
    confirmation = bot_says(patient, "case reference").inner_text()
    reference = REFERENCE.search(confirmation).group(0)
    assert "by phone" in confirmation
    patient.screenshot(path=str(tmp_path / "1-patient-case-reference.png"))

    # 2. The navigator signs in, finds the case in the queue, and opens it: transcript and contact details.
    navigator.goto(stack.url + "/navigator")
    navigator.wait_for_url("**/navigator/login")
    navigator.get_by_test_id("login-username").fill(navigator_account)
    navigator.get_by_test_id("login-password").fill(PASSWORD)
    navigator.get_by_test_id("login-submit").click()
    navigator.wait_for_url(stack.url + "/navigator")
    row = navigator.locator(f'[data-testid="queue-row"][data-reference="{reference}"]')
    expect(row).to_be_visible()
    expect(navigator.get_by_test_id("group-new")).to_contain_text(reference)
    navigator.screenshot(path=str(tmp_path / "2-console-queue.png"), full_page=True)
    row.get_by_test_id("case-link").click()
    navigator.wait_for_url("**/navigator/cases/*")
    expect(navigator.get_by_test_id("case-reference")).to_have_text(reference)
    transcript = navigator.get_by_test_id("transcript-message")
    expect(transcript.filter(has_text="I want to talk to a person")).to_have_count(1)
    expect(transcript.filter(has_text=reference)).to_have_count(1)
    expect(navigator.get_by_test_id("transcript-source")).to_contain_text("holds it now")  # from Rasa's tracker
    expect(transcript.filter(has_text="/greet")).to_have_count(0)  # the widget's silent opening is not shown
    assert scrolled_to_end(navigator)  # the newest messages are in view
    expect(navigator.get_by_test_id("contact-value")).to_contain_text("+442079460958")
    expect(navigator.get_by_test_id("contact")).to_contain_text("English")
    navigator.screenshot(path=str(tmp_path / "3-console-case.png"))

    # 3. The navigator takes over and replies; the widget shows the reply; the bot stays silent meanwhile.
    navigator.get_by_test_id("take").click()
    navigator.get_by_test_id("reply-text").fill("Hello, this is Mei from the trial team. I'll call you tomorrow.")
    navigator.get_by_test_id("reply-send").click()
    expect(transcript.filter(has_text="this is Mei")).to_have_count(1)
    joined = patient.get_by_test_id("navigator-message").filter(has_text="has joined this conversation")
    expect(joined).to_have_count(1, timeout=15_000)  # the patient sees that a person took over
    reply = patient.get_by_test_id("navigator-message").filter(has_text="this is Mei")
    expect(reply).to_have_count(1, timeout=15_000)
    expect(reply).to_contain_text("Patient navigator")
    bot_messages = patient.get_by_test_id("bot-message").count()
    type_message(patient, "Thank you, mornings are best")
    expect(transcript.filter(has_text="mornings are best")).to_have_count(1, timeout=15_000)  # console polls
    assert patient.get_by_test_id("bot-message").count() == bot_messages  # the assistant is paused
    expect(patient.get_by_test_id("chat-error")).to_have_count(0)
    assert scrolled_to_end(navigator)
    patient.screenshot(path=str(tmp_path / "4-patient-sees-navigator.png"))
    navigator.evaluate("window.scrollTo(0, 0)")
    live_shot = tmp_path / "5-console-live.png"
    navigator.screenshot(path=str(live_shot))
    save_docs_picture(live_shot)

    # 4. The navigator hands back; the bot answers a trial question again.
    navigator.get_by_test_id("hand-back").click()
    expect(navigator.get_by_test_id("take")).to_be_visible()
    type_message(patient, "Where does the trial take place?")
    bot_says(patient, "Beijing")
    expect(reply).to_have_count(1)  # the reply was shown once
    handed_back = patient.get_by_test_id("navigator-message").filter(has_text="handed this conversation back")
    expect(handed_back).to_have_count(1, timeout=15_000)
    expect(patient.get_by_test_id("navigator-message")).to_have_count(3)  # joined, the reply, handed back
    patient.screenshot(path=str(tmp_path / "6-patient-bot-again.png"))
    assert problems == []
