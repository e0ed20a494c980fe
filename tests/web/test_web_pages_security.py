"""The demo page, the static widget files, the security headers on every kind of response, and the factory."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from webfakes import GOOD_SENDER, FakeIndex

from web.app import app_factory
from web.routes.pages import STATIC_DIR
from web.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.integration

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def assert_security_headers(headers: object) -> None:
    h = headers  # httpx.Headers, case-insensitive
    assert h["content-security-policy"] == EXPECTED_CSP  # type: ignore[index]
    assert h["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert h["referrer-policy"] == "no-referrer"  # type: ignore[index]
    assert h["x-frame-options"] == "DENY"  # type: ignore[index]
    assert "camera=()" in h["permissions-policy"]  # type: ignore[index]
    assert h["cross-origin-opener-policy"] == "same-origin"  # type: ignore[index]
    assert h["strict-transport-security"] == "max-age=31536000"  # type: ignore[index]
    assert h["x-permitted-cross-domain-policies"] == "none"  # type: ignore[index]


def test_csp_constant_is_the_documented_policy() -> None:
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/", None, 200),
        ("GET", "/static/widget.js", None, 200),
        ("GET", "/static/widget.css", None, 200),
        ("GET", "/static/missing.js", None, 404),
        ("GET", "/health", None, 200),
        ("POST", "/api/chat", {"sender": GOOD_SENDER, "message": "hi"}, 200),
        ("POST", "/api/chat", {"sender": GOOD_SENDER, "message": ""}, 422),
        ("GET", "/no-such-page", None, 404),
    ],
)
def test_security_headers_on_every_response(
    client: TestClient, fake_index: FakeIndex, method: str, path: str, body: object, status: int
) -> None:
    kwargs = {"content": json.dumps(body), "headers": {"Content-Type": "application/json"}} if body else {}
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status
    assert_security_headers(response.headers)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.script_text: list[str] = []
        self.styles = 0
        self.style_attrs = 0
        self.handler_attrs: list[str] = []
        self.js_urls = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        if tag == "style":
            self.styles += 1
        for name, value in attrs:
            if name == "style":
                self.style_attrs += 1
            if name.startswith("on"):
                self.handler_attrs.append(name)
            if value and value.strip().lower().startswith("javascript:"):
                self.js_urls += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def test_demo_page_has_one_widget_script_and_nothing_inline(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["content-type"].startswith("text/html")
    page = _Collector()
    page.feed(response.text)

    assert page.scripts == [{"src": "/static/widget.js", "defer": None}]
    assert page.script_text == []
    assert page.styles == 0
    assert page.style_attrs == 0
    assert page.handler_attrs == []
    assert page.js_urls == 0
    assert "NCT07520357" in response.text


def test_widget_script_is_served_as_javascript_and_never_uses_html_injection(client: TestClient) -> None:
    response = client.get("/static/widget.js")
    assert "javascript" in response.headers["content-type"]
    source = response.text
    html_sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function")
    for forbidden in html_sinks:
        assert forbidden not in source, forbidden
    # No inline styles either: CSP style-src 'self' would block them.
    assert not re.search(r"setAttribute\(\s*[\"']style", source)
    assert ".style." not in source
    for test_id in (
        "chat-launcher",
        "chat-panel",
        "chat-input",
        "chat-send",
        "bot-message",
        "user-message",
        "citation",
        "chat-error",
    ):
        assert f'"{test_id}"' in source, test_id
    assert "not a doctor and cannot decide eligibility" in source
    assert "talk to a person" in source
    assert "maxlength: String(MAX_CHARS)" in source and "MAX_CHARS = 2000" in source
    assert "crypto.randomUUID" in source and "localStorage" in source


def test_widget_files_exist_beside_the_page() -> None:
    assert {"index.html", "widget.js", "widget.css"} <= {p.name for p in STATIC_DIR.iterdir()}


def test_openapi_is_served_but_no_cdn_docs(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 404


def test_app_factory_reads_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALBOT_RASA_URL", "http://rasa.internal:5005")
    monkeypatch.setenv("TRIALBOT_MAX_MESSAGE_CHARS", "500")
    app = app_factory()
    assert app.state.settings.rasa_url == "http://rasa.internal:5005"
    assert app.state.settings.max_message_chars == 500
