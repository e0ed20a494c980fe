"""The widget in real headless Chromium, against the app served by uvicorn and a localhost Rasa stand-in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from webfakes import Reply, ServedApp, StandIn, json_reply, start_standin

from trialbot.settings import WebSettings
from web.app import create_app
from web.navigator.auth import RateLimiter

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("TRIALBOT_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

XSS_TEXT = (
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">\n'
    "[click](javascript:window.__pwned=3) javascript:window.__pwned=4 https://clinicaltrials.gov/study/NCT07520357."
)
CITATION = {
    "source": "Trial summary",
    "section": "About this trial",
    "score": 0.8,
    "text": "SHR-A1904 targets CLDN18.2.<b>not bold</b>",
}


@dataclass
class Bot:
    """What the Rasa stand-in answers, by message."""

    fail: bool = False
    seen: list[dict[str, Any]] = field(default_factory=list)
    app: Any = None  # the served app (a test swaps its chat rate limiter)

    def __call__(self, body: dict[str, Any]) -> Reply:
        self.seen.append(body)
        if self.fail:
            return json_reply({"error": "boom"}, status=500)
        sid, message = body["sender"], body["message"]
        if message == "/greet":
            return json_reply(
                [
                    {
                        "recipient_id": sid,
                        "text": "Hello!\nI answer questions about the trial.",
                        "buttons": [{"title": "What is SHR-A1904?", "payload": "/ask_drug"}],
                    }
                ]
            )
        if message == "xss":
            return json_reply([{"recipient_id": sid, "text": XSS_TEXT}])
        return json_reply(
            [
                {"recipient_id": sid, "text": f"Answer to: {message}"},
                {"recipient_id": sid, "custom": {"citations": [CITATION]}},
            ]
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def web_stack() -> Iterator[tuple[str, StandIn, Bot]]:
    rasa, rasa_server = start_standin()
    action, action_server = start_standin()
    bot = Bot()
    rasa.responder = bot
    bot.app = create_app(WebSettings(rasa_url=rasa.url, action_server_url=action.url))
    served = ServedApp(bot.app).start()
    yield served.url, rasa, bot
    served.stop()
    for server in (rasa_server, action_server):
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser: Any, web_stack: tuple[str, StandIn, Bot]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(msg: Any) -> None:
        if msg.type == "error" and "status of 429" not in msg.text:  # a test goes over the rate limit
            problems.append(msg.text)

    page.on("console", on_console)
    page.goto(web_stack[0] + "/")
    yield page
    context.close()
    assert problems == []  # no CSP violations, no script errors


def open_chat(page: Any) -> None:
    page.get_by_test_id("chat-launcher").click()
    page.get_by_test_id("bot-message").first.wait_for()


def send(page: Any, text: str) -> None:
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-send").click()


def test_opening_greets_silently_and_buttons_send_their_payload(page: Any, web_stack: Any) -> None:
    _, _, bot = web_stack
    panel = page.get_by_test_id("chat-panel")
    assert not panel.is_visible()
    open_chat(page)

    assert panel.is_visible()
    assert "not a doctor and cannot decide eligibility" in panel.inner_text()
    assert [body["message"] for body in bot.seen] == ["/greet"]
    assert page.get_by_test_id("user-message").count() == 0  # the greeting request is not shown
    greeting = page.get_by_test_id("bot-message").first.inner_text()
    assert greeting.endswith("Hello!\nI answer questions about the trial.")
    assert page.evaluate("document.activeElement.dataset.testid") == "chat-input"

    page.get_by_role("button", name="What is SHR-A1904?").click()
    page.get_by_test_id("citation").first.wait_for()
    assert bot.seen[-1]["message"] == "/ask_drug"
    assert page.get_by_test_id("user-message").last.inner_text().endswith("What is SHR-A1904?")
    sender = page.evaluate("localStorage.getItem('trialbot.sender')")
    assert {body["sender"] for body in bot.seen} == {sender}


def test_citations_go_under_the_preceding_bot_message(page: Any) -> None:
    open_chat(page)
    send(page, "what is it")
    citation = page.get_by_test_id("citation")
    citation.wait_for()

    turn = page.locator(".tbw-turn", has=page.get_by_test_id("citation"))
    assert turn.get_by_test_id("bot-message").inner_text().endswith("Answer to: what is it")
    assert citation.locator("summary").inner_text() == "Trial summary \u2014 About this trial"
    passage = citation.locator("details p")
    assert not passage.is_visible()
    citation.locator("summary").click()
    assert passage.inner_text() == "SHR-A1904 targets CLDN18.2.<b>not bold</b>"
    assert citation.locator("b").count() == 0


def test_message_content_never_becomes_markup_or_a_script_link(page: Any) -> None:
    open_chat(page)
    send(page, "xss")
    page.get_by_test_id("bot-message").nth(1).wait_for()

    bubble = page.get_by_test_id("bot-message").nth(1)
    assert XSS_TEXT in bubble.inner_text()
    assert bubble.locator("script, img").count() == 0
    assert page.evaluate("window.__pwned") is None
    hrefs = bubble.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs == ["https://clinicaltrials.gov/study/NCT07520357"]


def test_a_fault_behind_the_web_service_shows_the_one_moment_message(page: Any, web_stack: Any) -> None:
    _, _, bot = web_stack
    open_chat(page)
    bot.fail = True  # Rasa answers 500
    send(page, "Is the trial open?")

    page.get_by_test_id("bot-message").filter(has_text="One moment please").wait_for()
    assert "talk to a person" in page.get_by_test_id("bot-message").last.inner_text()
    assert page.get_by_test_id("chat-error").count() == 0
    assert page.get_by_test_id("user-message").count() == 1

    bot.fail = False
    send(page, "Is the trial open?")
    page.get_by_test_id("bot-message").filter(has_text="Answer to: Is the trial open?").wait_for()


def test_errors_keep_the_typed_text_and_retry_works(page: Any, web_stack: Any) -> None:
    _, _, bot = web_stack
    open_chat(page)
    generous = bot.app.state.chat_sender_limiter
    sender = page.evaluate("localStorage.getItem('trialbot.sender')")
    bot.app.state.chat_sender_limiter = RateLimiter("1/hour", "memory://", "test")
    bot.app.state.chat_sender_limiter.hit(f"sender:{sender}")  # this sender has used up its limit
    send(page, "Is the trial open?")

    error = page.get_by_test_id("chat-error")
    error.wait_for()
    assert "too quickly" in error.inner_text()  # the 429's own sentence is shown
    assert page.get_by_test_id("chat-input").input_value() == "Is the trial open?"
    assert page.get_by_test_id("user-message").count() == 0

    bot.app.state.chat_sender_limiter = generous
    error.get_by_role("button", name="Try again").click()
    page.get_by_test_id("bot-message").filter(has_text="Answer to: Is the trial open?").wait_for()
    assert page.get_by_test_id("chat-error").count() == 0
    assert page.get_by_test_id("chat-input").input_value() == ""
    assert page.get_by_test_id("user-message").count() == 1


def test_transcript_and_sender_survive_a_reload(page: Any, web_stack: Any) -> None:
    _, _, bot = web_stack
    open_chat(page)
    send(page, "first question")
    page.get_by_test_id("citation").wait_for()
    sender = page.evaluate("localStorage.getItem('trialbot.sender')")

    page.reload()
    page.get_by_test_id("citation").wait_for()  # the panel was open: it reopens with the transcript
    assert page.get_by_test_id("user-message").all_inner_texts()[-1].endswith("first question")
    assert page.get_by_test_id("bot-message").count() == 2
    assert page.evaluate("localStorage.getItem('trialbot.sender')") == sender
    assert [body["message"] for body in bot.seen].count("/greet") == 1


def test_send_is_disabled_for_empty_input_and_input_is_limited(page: Any) -> None:
    open_chat(page)
    send_button = page.get_by_test_id("chat-send")
    box = page.get_by_test_id("chat-input")
    assert send_button.is_disabled()
    box.fill("   ")
    assert send_button.is_disabled()
    box.fill("hello")
    assert send_button.is_enabled()
    assert box.get_attribute("maxlength") == "2000"
    box.fill("x" * 2500)
    assert len(box.input_value()) == 2000
    assert page.get_by_label("Your message").count() == 1
    assert page.get_by_role("button", name="Send message").count() == 1


def test_keyboard_open_send_and_close(page: Any, web_stack: Any) -> None:
    _, _, bot = web_stack
    page.get_by_test_id("chat-launcher").focus()
    page.keyboard.press("Enter")
    page.get_by_test_id("bot-message").first.wait_for()
    page.keyboard.type("typed with keys")
    page.keyboard.press("Enter")
    page.get_by_test_id("bot-message").filter(has_text="Answer to: typed with keys").wait_for()
    page.keyboard.press("Escape")
    assert not page.get_by_test_id("chat-panel").is_visible()
    assert page.evaluate("document.activeElement.dataset.testid") == "chat-launcher"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_panel_is_full_screen_on_a_phone(browser: Any, web_stack: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(web_stack[0] + "/")
    open_chat(page)
    box = page.get_by_test_id("chat-panel").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 360, "height": 640}
    assert page.get_by_test_id("chat-input").is_visible()
    assert page.get_by_test_id("chat-send").is_visible()
    context.close()
