"""A patient types a question into the widget in real headless Chromium and sees the cited answer."""

import pytest

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 360, "height": 640}])
def test_question_in_the_widget_gets_a_cited_answer(stack, viewport, tmp_path):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            page.goto(stack.url)
            page.get_by_test_id("chat-launcher").click()
            greeting = page.get_by_test_id("bot-message").first
            sync_api.expect(greeting).to_contain_text("automated assistant", timeout=60_000)
            page.get_by_test_id("chat-input").fill("Where does the trial take place?")
            page.get_by_test_id("chat-send").click()
            answer = page.get_by_test_id("bot-message").filter(has_text="Beijing GoBroad Hospital")
            sync_api.expect(answer.first).to_be_visible(timeout=60_000)
            citation = page.get_by_test_id("citation").first
            sync_api.expect(citation).to_contain_text("NCT07520357")
            panel = page.get_by_test_id("chat-panel").bounding_box()
            assert panel and panel["width"] <= viewport["width"]
            page.screenshot(path=str(tmp_path / f"widget-{viewport['width']}.png"))
        finally:
            browser.close()
