"""Signing in and out of the navigator console: cookies, sessions that end, rate limits, secrets."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from navfixtures import PASSWORD, sign_in
from pydantic import SecretStr, ValidationError

from trialbot.settings import WebSettings

pytestmark = pytest.mark.integration


def test_sign_in_sets_a_hardened_session_cookie(make_nav_client, nav_settings: WebSettings) -> None:
    secure = make_nav_client(nav_settings.model_copy(update={"cookie_secure": True}))
    response = secure.post("/api/navigator/login", json={"username": "mei", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["username"] == "mei" and response.json()["trials"] == ["NCT07520357"]
    assert len(response.json()["csrf_token"]) == 64
    cookie = response.headers["set-cookie"]
    name, _, attributes = cookie.partition(";")
    assert name.startswith("__Host-trialbot_nav=")
    lowered = attributes.lower()
    for attribute in ("httponly", "secure", "samesite=strict", "path=/"):
        assert attribute in lowered
    assert "domain=" not in lowered and "max-age" not in lowered and "expires" not in lowered
    assert response.headers["cache-control"] == "no-store"


def test_wrong_or_unknown_credentials_get_the_same_answer(app_client: TestClient) -> None:
    wrong = app_client.post("/api/navigator/login", json={"username": "mei", "password": "not the password"})
    unknown = app_client.post("/api/navigator/login", json={"username": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "invalid_credentials",
                                              "detail": "The username or password is not right."}
    assert "set-cookie" not in wrong.headers
    assert app_client.get("/api/navigator/me").status_code == 401


def test_usernames_are_not_case_sensitive_at_sign_in(app_client: TestClient) -> None:
    assert sign_in(app_client, " MEI ")


def test_sign_in_takes_json_from_our_own_origin_only(app_client: TestClient) -> None:
    form = app_client.post("/api/navigator/login", data={"username": "mei", "password": PASSWORD})
    assert form.status_code in (415, 422) and "set-cookie" not in form.headers
    as_text = app_client.post("/api/navigator/login", content=f'{{"username":"mei","password":"{PASSWORD}"}}',
                              headers={"Content-Type": "text/plain"})
    assert as_text.status_code in (415, 422) and "set-cookie" not in as_text.headers
    cross = app_client.post("/api/navigator/login", json={"username": "mei", "password": PASSWORD},
                            headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and "set-cookie" not in cross.headers
    same = app_client.post("/api/navigator/login", json={"username": "mei", "password": PASSWORD},
                           headers={"Origin": "http://testserver"})
    assert same.status_code == 200


def test_failed_sign_ins_are_limited_per_client_address(app_client: TestClient) -> None:
    for attempt in range(5):
        response = app_client.post("/api/navigator/login", json={"username": f"guess{attempt}", "password": "x"})
        assert response.status_code == 401
    blocked = app_client.post("/api/navigator/login", json={"username": "mei", "password": PASSWORD})
    assert blocked.status_code == 429  # even with the right password, from this address, for now
    assert blocked.json()["error"] == "too_many_requests"
    assert int(blocked.headers["retry-after"]) >= 1
    assert "set-cookie" not in blocked.headers


def test_failed_sign_ins_are_limited_per_username_across_addresses(app_client: TestClient) -> None:
    app = app_client.app  # one app (one limiter), requests from several client addresses

    def from_address(address: str) -> TestClient:
        return TestClient(app, client=(address, 50000), raise_server_exceptions=False)

    for attempt in range(5):
        response = from_address(f"10.0.0.{attempt + 1}").post(
            "/api/navigator/login", json={"username": "mei", "password": "x"})
        assert response.status_code == 401
    elsewhere = from_address("10.0.0.99")
    assert elsewhere.post("/api/navigator/login", json={"username": "mei", "password": PASSWORD}).status_code == 429
    assert sign_in(elsewhere, "lin")  # another username from a fresh address is not affected


def test_successful_sign_ins_are_not_counted(app_client: TestClient) -> None:
    for _ in range(8):
        sign_in(app_client)


def test_sign_out_ends_the_session_on_the_server(app_client: TestClient) -> None:
    csrf = sign_in(app_client)
    cookie = dict(app_client.cookies)
    assert app_client.post("/api/navigator/logout").status_code == 403  # CSRF header missing
    response = app_client.post("/api/navigator/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert "trialbot_nav=" in response.headers["set-cookie"]  # the browser is told to drop the cookie
    app_client.cookies.clear()
    for name, value in cookie.items():  # a copy of the old cookie is worth nothing now
        app_client.cookies.set(name, value)
    assert app_client.get("/api/navigator/me").status_code == 401


def test_sessions_end_after_the_idle_timeout(app_client: TestClient, clock) -> None:
    sign_in(app_client)
    clock.advance(hours=7, minutes=59)
    assert app_client.get("/api/navigator/me").status_code == 200
    clock.advance(hours=7, minutes=59)  # active in between: still fine
    assert app_client.get("/api/navigator/me").status_code == 200
    clock.advance(hours=8, seconds=1)
    assert app_client.get("/api/navigator/me").status_code == 401
    page = app_client.get("/navigator")
    assert page.status_code == 303 and page.headers["location"] == "/navigator/login"


def test_forged_or_foreign_cookies_are_refused(make_nav_client, nav_settings: WebSettings) -> None:
    client = make_nav_client(nav_settings)
    sign_in(client)
    [(name, value)] = list(client.cookies.items())
    payload, _, signature = value.rpartition(".")
    client.cookies.clear()
    client.cookies.set(name, payload + "." + signature[::-1])
    assert client.get("/api/navigator/me").status_code == 401
    client.cookies.clear()
    client.cookies.set(name, "x" + value)
    assert client.get("/api/navigator/me").status_code == 401
    another_secret = SecretStr("another-random-secret-" + "q" * 30)
    other = make_nav_client(nav_settings.model_copy(update={"session_secret": another_secret}))
    other.cookies.set(name, value)  # signed with the first app's secret
    assert other.get("/api/navigator/me").status_code == 401


@pytest.mark.parametrize("secret", ["change-me", "changeme", "secret", "CHANGE-ME", "short-but-random-1234",
                                    "please-change-me-before-production-0000"])
def test_placeholder_or_short_session_secrets_are_rejected_at_start(secret: str) -> None:
    with pytest.raises(ValidationError) as error:
        WebSettings(session_secret=secret)
    assert "TRIALBOT_SESSION_SECRET" in str(error.value)
    assert f"'{secret}'" not in str(error.value) and "input_value" not in str(error.value)  # not echoed


def test_without_a_secret_each_process_makes_one_and_says_so(make_nav_client, nav_settings: WebSettings,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        client = make_nav_client(nav_settings.model_copy(update={"session_secret": None}))
    assert "sessions end when the web service restarts" in caplog.text
    assert sign_in(client)
    assert client.get("/api/navigator/me").status_code == 200


def test_me_returns_the_csrf_token_of_the_session(as_navigator) -> None:
    navigator = as_navigator("mei")
    body = navigator.get("/api/navigator/me").json()
    assert body == {"username": "mei", "trials": ["NCT07520357"], "csrf_token": navigator.csrf}
