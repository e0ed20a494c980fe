"""Property tests (hypothesis) of ``POST /api/chat``: any body, any text, any answer from Rasa.

Rasa is an ``httpx.MockTransport`` in the test process that echoes the message, or answers with whatever the
test draws. Properties: never a 5xx or a stack trace; a 4xx is always the ``{"error", "detail"}`` shape with
the code the input rules predict; a valid message reaches Rasa exactly as sent; whatever Rasa answers, the
patient gets 200 with Rasa's messages or the one-moment reply. Bounded example counts (a few seconds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialbot.settings import WebSettings
from web.app import create_app
from web.routes.chat import FAULT_HEADER, ONE_MOMENT

pytestmark = pytest.mark.integration

EXAMPLES = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ALLOWED = {200, 400, 413, 415, 422}
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SURROGATE = re.compile("[\ud800-\udfff]")
senders = st.from_regex(r"[A-Za-z0-9_.:\-]{1,128}", fullmatch=True)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


class Rasa:
    """What the mock Rasa answers: an echo of the message by default, or a drawn answer."""

    def __init__(self) -> None:
        self.answer: tuple[int, bytes] | None = None
        self.received: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":  # the action server's health check
            return httpx.Response(200, json={"status": "ok"})
        if request.url.path != "/webhooks/rest/webhook":  # Rasa's HTTP API: not enabled here
            return httpx.Response(404, json={"message": "not found"})
        body = json.loads(request.content)
        self.received.append(body)
        if self.answer is not None:
            return httpx.Response(self.answer[0], content=self.answer[1])
        return httpx.Response(200, json=[{"recipient_id": body["sender"], "text": body["message"]}])


@pytest.fixture(scope="module")
def rasa() -> Rasa:
    return Rasa()


@pytest.fixture(scope="module")
def client(rasa: Rasa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp: Path = tmp_path_factory.mktemp("fuzz-chat")
    settings_ = WebSettings(rasa_url="http://rasa.test", action_server_url="http://actions.test",
                            index_dir=tmp / "index", database_url=f"sqlite:///{tmp / 'cases.db'}",
                            chat_rate_limit="100000/minute", chat_address_rate_limit="100000/minute")
    http_client = httpx.AsyncClient(transport=httpx.MockTransport(rasa))
    with TestClient(create_app(settings_, http_client), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def echo_by_default(rasa: Rasa) -> None:
    rasa.answer = None


def assert_sane(response: httpx.Response) -> None:
    assert response.status_code in ALLOWED, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text and 'File "' not in response.text
    if response.status_code != 200:
        body = response.json()
        assert set(body) == {"error", "detail"} and body["detail"]


def expected_code(message: str) -> str | None:
    """The input rule a message breaks, in the order the route checks them (None: it is valid)."""
    if not message.strip():
        return "empty_message"
    if SURROGATE.search(message):
        return "invalid_encoding"
    if CONTROL.search(message):
        return "invalid_characters"
    if len(message) > 2000:
        return "message_too_long"
    return None


@EXAMPLES
@given(body=st.binary(max_size=3000), content_type=st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "", "application/json; charset=latin-1"]))
def test_any_bytes_get_a_clean_answer(client: TestClient, body: bytes, content_type: str) -> None:
    assert_sane(client.post("/api/chat", content=body, headers={"Content-Type": content_type}))


@EXAMPLES
@given(value=json_values)
def test_any_json_value_gets_a_clean_answer(client: TestClient, value: Any) -> None:
    response = client.post("/api/chat", content=json.dumps(value), headers={"Content-Type": "application/json"})
    assert_sane(response)
    if not isinstance(value, dict):
        assert response.json()["error"] == "invalid_body"


@EXAMPLES
@given(sender=senders, message=st.text(max_size=2100))
def test_any_text_is_forwarded_exactly_or_refused_by_the_rule_it_breaks(
    client: TestClient, rasa: Rasa, sender: str, message: str
) -> None:
    before = len(rasa.received)
    response = client.post("/api/chat", content=json.dumps({"sender": sender, "message": message}),
                           headers={"Content-Type": "application/json"})
    assert_sane(response)
    code = expected_code(message)
    if code is None:
        assert response.status_code == 200
        assert rasa.received[before:] == [{"sender": sender, "message": message}]
        assert response.json() == [{"recipient_id": sender, "text": message}]
    else:
        assert response.json()["error"] == code
        assert len(rasa.received) == before  # nothing invalid reaches Rasa


@EXAMPLES
@given(status=st.sampled_from([200, 200, 200, 404, 500, 503]),
       answer=json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200))
def test_whatever_rasa_answers_the_patient_gets_its_messages_or_the_one_moment_reply(
    client: TestClient, rasa: Rasa, status: int, answer: bytes
) -> None:
    rasa.answer = (status, answer)
    response = client.post("/api/chat", json={"sender": "patient-1", "message": "Where is the trial?"})
    assert response.status_code == 200
    try:
        parsed = json.loads(answer)
    except ValueError:
        parsed = None
    passed_through = status == 200 and isinstance(parsed, list) and all(isinstance(m, dict) for m in parsed)
    if passed_through:
        assert response.json() == parsed and FAULT_HEADER not in response.headers
    else:
        assert response.headers[FAULT_HEADER] == "bot_error"
        assert response.json() == [{"recipient_id": "patient-1", "text": ONE_MOMENT}]
