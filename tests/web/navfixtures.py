"""Fixtures for the navigator console tests: a case store on a temporary SQLite file with a clock the tests
can move, the fake Rasa API (``navfakes``), the app, signed-in clients and seeded cases.

``conftest.py`` makes the fixtures available to every test module; modules import only the helpers and
constants (``from navfixtures import make_case, PATIENT``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from navfakes import FakeRasa, start_fake_rasa

from cases.schemas import CaseCreate, CasePublic
from cases.store import CaseStore
from trialbot.settings import WebSettings

TRIAL = "NCT07520357"
OTHER_TRIAL = "NCT00000001"
PASSWORD = "correct horse battery staple"
RASA_TOKEN = "rasa-api-token-for-tests-0123456789"
PATIENT = "3f2b8c1e-6a7d-4e0f-9b1a-2c3d4e5f6a7b"


class MovableClock:
    """Real time plus an offset that tests can add to (session timeouts without waiting)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    fake, server = start_fake_rasa(RASA_TOKEN)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def case_store(tmp_path: Path, clock: MovableClock) -> Iterator[CaseStore]:
    store = CaseStore.from_url(f"sqlite:///{tmp_path / 'cases.db'}", clock=clock)
    store.add_navigator("mei", PASSWORD, [TRIAL])
    store.add_navigator("omar", PASSWORD, [OTHER_TRIAL])
    store.add_navigator("lin", PASSWORD, [TRIAL, OTHER_TRIAL])
    yield store
    store.dispose()


@pytest.fixture
def nav_settings(fake_rasa: FakeRasa, tmp_path: Path) -> WebSettings:
    return WebSettings(
        rasa_url=fake_rasa.url,
        action_server_url=fake_rasa.url,
        index_dir=tmp_path / "index",
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        session_secret=secrets.token_urlsafe(48),
        rasa_token=RASA_TOKEN,
        cookie_secure=False,  # TestClient speaks plain http to "testserver"
        login_rate_limit="5/minute",
        messages_rate_limit="60/minute",
    )


@pytest.fixture
def make_nav_client(make_client: Callable[..., TestClient], case_store: CaseStore) -> Callable[..., TestClient]:
    """An app on the test's case store, seen from a given client address, not following redirects."""

    def start(settings: WebSettings, *, address: str = "testclient") -> TestClient:
        return make_client(settings, case_store=case_store,
                           client_options={"client": (address, 50000), "follow_redirects": False})

    return start


@pytest.fixture
def app_client(make_nav_client: Callable[..., TestClient], nav_settings: WebSettings) -> TestClient:
    """A client with no session."""
    return make_nav_client(nav_settings)


def sign_in(client: TestClient, username: str = "mei", password: str = PASSWORD) -> str:
    """Sign ``client`` in (the cookie stays in its jar) and return the CSRF token."""
    response = client.post("/api/navigator/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["csrf_token"]


class Navigator:
    """A signed-in client that sends the CSRF header on every state-changing request."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def send(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.send("POST", url, **kwargs)


@pytest.fixture
def as_navigator(make_nav_client: Callable[..., TestClient],
                 nav_settings: WebSettings) -> Callable[[str], Navigator]:
    def signed_in(username: str = "mei") -> Navigator:
        client = make_nav_client(nav_settings)
        return Navigator(client, sign_in(client, username))

    return signed_in


def make_case(store: CaseStore, sender: str = PATIENT, **overrides: Any) -> CasePublic:
    fields: dict[str, Any] = {
        "trial_id": TRIAL,
        "sender_id": sender,
        "channel": "rest",
        "contact_method": "phone",
        "contact_value": "+8613800138000",
        "preferred_language": "English",
        "preferred_time": "mornings",
        "consent_given_at": datetime.now(UTC),
        "consent_version": "handoff-consent-v1",
        "screening_outcome": "needs_review",
        "screening_facts": {"age": 62},
        "screening_result": {"outcome": "needs_review", "criteria": [
            {"id": "age_18_or_over", "status": "met", "reason": "You are 18 or older."},
            {"id": "prior_platinum", "status": "unknown", "reason": "We could not tell which treatment you had."},
            {"id": "no_topo1_adc", "status": "not_met", "reason": "You said you had an ADC like this one."},
        ]},
        "unanswered_questions": ["is there parking?"],
        "transcript": [{"role": "user", "text": "hello", "at": "2027-01-15T08:58:00+00:00"},
                       {"role": "bot", "text": "Hello! I'm an automated assistant.",
                        "at": "2027-01-15T08:58:01+00:00"}],
    }
    fields.update(overrides)
    return store.create_case(CaseCreate(**fields))
