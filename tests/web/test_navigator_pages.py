"""The console's pages: the queue, a case, the audit log and sign-in; escaping of patient text, the CSP,
and no inline script or style anywhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from navfixtures import OTHER_TRIAL, PATIENT, make_case

from cases.schemas import CaseUpdate
from web.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.integration

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "navigator" / "templates"
XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


class InlineFinder(HTMLParser):
    """Collects what the CSP would block: inline scripts, style elements/attributes, event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            if not names.get("src"):
                self.problems.append("inline script")
            self.scripts.append(names.get("src") or "")
        if tag == "style":
            self.problems.append("style element")
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")


def inline_problems(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.problems


def test_queue_page_groups_by_status_with_age_urgent_first(as_navigator, case_store, clock) -> None:
    old = make_case(case_store, sender="old")
    clock.advance(hours=3, minutes=20)
    urgent = make_case(case_store, sender="urgent", urgency="urgent", channel="telegram")
    make_case(case_store, sender="theirs", trial_id=OTHER_TRIAL)
    page = as_navigator("mei").get("/navigator")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    for heading in ("New", "In review", "Contacted", "Closed"):
        assert f">{heading} <span" in html
    assert html.index(urgent.reference) < html.index(old.reference)
    assert re.search(rf"{old.reference}.*?3 h 20 min", html, re.S)
    assert "2 cases" in html and "telegram" in html
    assert inline_problems(html) == []


def test_queue_page_filters(as_navigator, case_store) -> None:
    made = make_case(case_store, sender="a", channel="telegram")
    other = make_case(case_store, sender="b")
    mei = as_navigator("mei")
    html = mei.get("/navigator", params={"channel": "telegram"}).text
    assert made.reference in html and other.reference not in html
    html = mei.get("/navigator", params={"status": "closed"}).text
    assert made.reference not in html and 'data-testid="group-new"' not in html


def test_a_long_queue_shows_fifty_cases_a_group_and_pages_through_a_status(as_navigator, case_store, clock) -> None:
    made = []
    for number in range(53):
        made.append(make_case(case_store, sender=f"patient-{number}", channel="telegram"))
        clock.advance(minutes=1)
    closed = make_case(case_store, sender="done")
    case_store.update(closed.id, CaseUpdate(status="closed"), "mei")
    mei = as_navigator("mei")
    html = mei.get("/navigator").text
    assert ">New <span class=\"count\">(53)</span>" in html and "54 cases" in html
    assert html.count('data-testid="queue-row"') == 51  # 50 new (the oldest) and the closed one
    assert made[49].reference in html and made[50].reference not in html
    assert 'href="/navigator?status=new" data-testid="group-more">Show all 53 new cases' in html
    assert 'data-testid="pager"' not in html

    second = mei.get("/navigator", params={"status": "new", "channel": "telegram", "page": 2}).text
    rows = re.findall(r'data-testid="queue-row" data-reference="([^"]+)"', second)
    assert rows == [case.reference for case in made[50:]]
    assert "Page 2 of 2" in second and 'data-testid="page-next"' not in second
    assert 'href="/navigator?status=new&amp;channel=telegram&amp;page=1" rel="prev"' in second
    last = mei.get("/navigator", params={"status": "new", "page": 99}).text  # past the end: the last page
    assert re.findall(r'data-testid="queue-row" data-reference="([^"]+)"', last) == rows
    assert mei.get("/navigator", params={"page": 0}).status_code == 422
    assert inline_problems(html) == [] and inline_problems(second) == []


def test_case_page_shows_everything_and_escapes_patient_text(as_navigator, case_store, fake_rasa) -> None:
    case = make_case(case_store, preferred_time=XSS[:120], unanswered_questions=[XSS])
    fake_rasa.add_conversation(PATIENT, [
        {"event": "user", "text": XSS, "timestamp": 1_800_000_000, "input_channel": "rest"},
        {"event": "bot", "text": "I can't help with that.", "timestamp": 1_800_000_001},
        {"event": "bot", "text": "Hi, I'm Mei from the trial team.", "timestamp": 1_800_000_002,
         "metadata": {"navigator": True}},
    ])
    mei = as_navigator("mei")
    mei.post(f"/api/navigator/cases/{case.id}/notes", json={"text": "</li><script>alert(1)</script>"})
    page = mei.get(f"/navigator/cases/{case.id}")
    assert page.status_code == 200
    html = page.text
    assert "<script>window" not in html and "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert html.count("&lt;script&gt;") >= 3  # transcript, unanswered question, note (and preferred time)
    assert inline_problems(html) == []
    assert 'data-role="user"' in html and 'data-role="navigator"' in html
    assert "Hi, I&#39;m Mei from the trial team." in html
    criteria = re.findall(r'data-testid="criterion-row" data-status="(\w+)"', html)
    assert criteria == ["met", "unknown", "not_met"]
    assert 'class="criterion criterion-unknown"' in html and "⚠ Unknown" in html
    assert "+8613800138000" in html and "handoff-consent-v1" in html
    assert f'<meta name="csrf-token" content="{mei.csrf}">' in html
    assert [e["action"] for e in mei.get("/api/navigator/audit").json()][0] == "case_viewed"


def test_audit_and_login_pages(as_navigator, app_client) -> None:
    login = app_client.get("/navigator/login")
    assert login.status_code == 200 and 'data-testid="login-form"' in login.text
    assert "csrf-token" not in login.text and inline_problems(login.text) == []
    mei = as_navigator("mei")
    assert mei.get("/navigator/login").status_code == 303  # already signed in
    audit = mei.get("/navigator/audit")
    assert audit.status_code == 200 and ">login<" in audit.text and inline_problems(audit.text) == []


def test_templates_and_static_files_hold_nothing_the_csp_blocks(app_client) -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert "<style" not in text and " style=" not in text and not re.search(r"\son\w+=", text), template
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, template
    for name, kind in (("console.js", "javascript"), ("console.css", "text/css")):
        response = app_client.get(f"/navigator/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "innerHTML" not in (TEMPLATES.parent / "static" / "console.js").read_text()
