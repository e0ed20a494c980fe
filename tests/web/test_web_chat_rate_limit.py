"""``POST /api/chat`` rate limits (the ``limits`` library, moving window): per client address, counted before the
body is read, and per sender id; over either one, 429 ``rate_limited`` with ``Retry-After``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from webfakes import GOOD_SENDER, ServedApp, StandIn

from trialbot.settings import WebSettings
from web.app import create_app

pytestmark = pytest.mark.integration

JSON = {"Content-Type": "application/json"}
OTHER_SENDER = "0b8d6f2a-1c3e-4f5a-8b7c-9d0e1f2a3b4c"


def say(client: TestClient, sender: str = GOOD_SENDER, message: str = "Where is the trial?") -> httpx.Response:
    return client.post("/api/chat", content=json.dumps({"sender": sender, "message": message}), headers=JSON)


def assert_rate_limited(response: httpx.Response, window_s: int = 60) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {
        "error": "rate_limited",
        "detail": "You are sending messages too quickly. Please wait a moment and try again.",
    }
    assert 1 <= int(response.headers["retry-after"]) <= window_s
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.fixture
def clients(web_settings: WebSettings) -> Iterator[Callable[..., TestClient]]:
    """Apps (one per call) seen from a chosen client address; several clients may share one app."""
    opened: list[TestClient] = []

    def start(settings: WebSettings | None = None, address: str = "192.0.2.10", app=None) -> TestClient:
        client = TestClient(app or create_app(settings or web_settings), client=(address, 40000))
        client.__enter__()
        opened.append(client)
        return client

    yield start
    for client in opened:
        client.__exit__(None, None, None)


def limited(web_settings: WebSettings, **rates: str) -> WebSettings:
    return web_settings.model_copy(update=rates)


def test_a_sender_over_its_limit_gets_429_and_others_are_not_affected(
    clients: Callable[..., TestClient], web_settings: WebSettings, rasa: StandIn
) -> None:
    client = clients(limited(web_settings, chat_rate_limit="3/minute"))
    assert [say(client).status_code for _ in range(3)] == [200, 200, 200]
    assert_rate_limited(say(client))
    assert len(rasa.received) == 3  # the fourth message never reached Rasa
    assert say(client, OTHER_SENDER).status_code == 200  # same address, another patient


def test_an_address_over_its_limit_gets_429_even_with_new_sender_ids(
    clients: Callable[..., TestClient], web_settings: WebSettings, rasa: StandIn
) -> None:
    app = create_app(limited(web_settings, chat_address_rate_limit="3/minute"))
    attacker = clients(app=app, address="192.0.2.66")
    for n in range(3):
        assert say(attacker, f"sender-{n}").status_code == 200
    assert_rate_limited(say(attacker, "sender-new"))
    # counted before the body is read: garbage from that address is refused the same way
    assert_rate_limited(attacker.post("/api/chat", content=b"{not json", headers=JSON))
    assert say(clients(app=app, address="198.51.100.7")).status_code == 200  # another address is served
    assert len(rasa.received) == 4


def test_rejected_bodies_count_against_the_address(
    clients: Callable[..., TestClient], web_settings: WebSettings, rasa: StandIn
) -> None:
    client = clients(limited(web_settings, chat_address_rate_limit="2/minute"))
    assert client.post("/api/chat", content=b"{not json", headers=JSON).status_code == 400
    assert client.post("/api/chat", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert_rate_limited(say(client))
    assert rasa.received == []


def test_the_window_moves_on(clients: Callable[..., TestClient], web_settings: WebSettings, rasa: StandIn) -> None:
    client = clients(limited(web_settings, chat_rate_limit="2/second"))
    assert [say(client).status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(1.1)
    assert say(client).status_code == 200


def test_default_limits_are_generous_for_a_patient() -> None:
    fields = WebSettings.model_fields
    assert fields["chat_rate_limit"].default == "30/minute"
    assert fields["chat_address_rate_limit"].default == "600/minute"


def test_a_malformed_rate_is_refused_at_start(web_settings: WebSettings) -> None:
    with pytest.raises(ValueError):
        create_app(limited(web_settings, chat_rate_limit="thirty a minute"))


def test_rate_limit_holds_over_real_http(web_settings: WebSettings, rasa: StandIn) -> None:
    served = ServedApp(create_app(limited(web_settings, chat_rate_limit="2/minute"))).start()
    try:
        with httpx.Client(base_url=served.url, trust_env=False, timeout=10) as http:
            body = {"sender": GOOD_SENDER, "message": "hi"}
            statuses = [http.post("/api/chat", json=body).status_code for _ in range(2)]
            refused = http.post("/api/chat", json=body)
    finally:
        served.stop()
    assert statuses == [200, 200]
    assert_rate_limited(refused)
