"""The widget keeps its conversation across page reloads and recovers from a network drop, with no message
duplicated or lost, in real headless Chromium against the real stack."""

import pytest

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
QUESTION = "Where does the trial take place?"


def count(page, test_id: str, text: str) -> int:
    return page.get_by_test_id(test_id).filter(has_text=text).count()


def test_the_conversation_survives_a_reload_and_a_network_drop(stack, tmp_path):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.goto(stack.url)
            page.get_by_test_id("chat-launcher").click()
            sync_api.expect(page.get_by_test_id("bot-message").first).to_contain_text("automated assistant",
                                                                                     timeout=60_000)
            page.get_by_test_id("chat-input").fill(QUESTION)
            page.get_by_test_id("chat-send").click()
            answer = page.get_by_test_id("bot-message").filter(has_text="Beijing GoBroad Hospital")
            sync_api.expect(answer.first).to_be_visible(timeout=60_000)

            page.reload()
            if not page.get_by_test_id("chat-input").is_visible():
                page.get_by_test_id("chat-launcher").click()
            sync_api.expect(answer.first).to_be_visible(timeout=30_000)
            assert count(page, "user-message", QUESTION) == 1
            assert count(page, "bot-message", "Beijing GoBroad Hospital") == 1
            assert count(page, "bot-message", "automated assistant") == 1

            context.set_offline(True)
            page.get_by_test_id("chat-input").fill("How often is the drug given?")
            page.get_by_test_id("chat-send").click()
            sync_api.expect(page.get_by_test_id("chat-error")).to_contain_text("not been lost", timeout=60_000)
            context.set_offline(False)
            page.get_by_test_id("chat-retry").click()
            every_3_weeks = page.get_by_test_id("bot-message").filter(has_text="every 3 weeks")
            sync_api.expect(every_3_weeks.first).to_be_visible(timeout=60_000)
            sync_api.expect(page.get_by_test_id("chat-error")).to_have_count(0)
            page.screenshot(path=str(tmp_path / "widget-after-drop.png"))

            page.reload()
            if not page.get_by_test_id("chat-input").is_visible():
                page.get_by_test_id("chat-launcher").click()
            sync_api.expect(every_3_weeks.first).to_be_visible(timeout=30_000)
            assert count(page, "user-message", "How often is the drug given?") == 1
            assert count(page, "bot-message", "every 3 weeks") == 1
            assert count(page, "user-message", QUESTION) == 1
        finally:
            browser.close()


def test_an_answer_lost_on_the_way_back_is_not_asked_twice(stack):
    """The assistant handles the message but the answer never reaches the phone; "Try again" then shows the
    first answer, and the conversation holds the message once."""
    import sqlite3

    question = "What happens at the screening visit?"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(stack.url)
            page.get_by_test_id("chat-launcher").click()
            sync_api.expect(page.get_by_test_id("bot-message").first).to_contain_text("automated assistant",
                                                                                     timeout=60_000)
            lost = {"count": 0}

            def lose_the_first_answer(route):
                if lost["count"] == 0:
                    lost["count"] += 1
                    route.fetch(timeout=60_000)  # the web service and the bot handle the message ...
                    route.abort("connectionreset")  # ... and the answer is lost on the way back
                else:
                    route.continue_()

            page.route("**/api/chat", lose_the_first_answer)
            page.get_by_test_id("chat-input").fill(question)
            page.get_by_test_id("chat-send").click()
            sync_api.expect(page.get_by_test_id("chat-error")).to_be_visible(timeout=60_000)
            page.get_by_test_id("chat-retry").click()
            sync_api.expect(page.get_by_test_id("chat-error")).to_have_count(0, timeout=60_000)
            assert count(page, "user-message", question) == 1
            sender = page.evaluate("window.localStorage.getItem('trialbot.sender')")
        finally:
            browser.close()
    with sqlite3.connect(f"file:{stack.log_dir / 'tracker.db'}?mode=ro", uri=True) as db:
        texts = [row[0] for row in db.execute(
            "SELECT json_extract(data, '$.text') FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,))]
    assert texts.count(question) == 1, texts
