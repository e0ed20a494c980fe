"""``POST /api/chat`` against a real localhost Rasa stand-in: forwarding, every bad input, and faults behind it
(Rasa down, slow or answering badly, the action server down): one polite message, never an error page."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from webfakes import GOOD_SENDER, RASA_REPLY, ServedApp, StandIn, json_reply

from trialbot.settings import WebSettings
from web.app import create_app
from web.routes.chat import FAULT_HEADER, ONE_MOMENT, sender_hash

pytestmark = pytest.mark.integration

JSON = {"Content-Type": "application/json"}


def good_body(message: str = "What is SHR-A1904?") -> bytes:
    return json.dumps({"sender": GOOD_SENDER, "message": message}).encode()


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"].endswith(".")
    assert "Traceback" not in response.text


def chunks(data: bytes, size: int = 1000) -> list[bytes]:
    """A body sent in pieces without Content-Length (Transfer-Encoding: chunked)."""
    return [data[start : start + size] for start in range(0, len(data), size)]


# ---- forwarding ----------------------------------------------------------------------------------


def test_good_message_is_forwarded_exactly_and_the_reply_returned_unchanged(
    client: TestClient, rasa: StandIn
) -> None:
    body = json.dumps({"sender": GOOD_SENDER, "message": "  Is it\nfor me?  ", "metadata": {"x": 1}})
    response = client.post("/api/chat", content=body, headers=JSON)

    assert response.status_code == 200
    assert response.json() == RASA_REPLY  # buttons, custom.citations and unknown keys all kept
    assert response.headers["cache-control"] == "no-store"
    assert len(rasa.received) == 1
    assert rasa.received[0].path == "/webhooks/rest/webhook"
    assert rasa.received[0].json() == {"sender": GOOD_SENDER, "message": "  Is it\nfor me?  "}


def test_unicode_message_round_trips(client: TestClient, rasa: StandIn) -> None:
    message = "试验 ≥18 岁? — ñ 🙂"
    response = client.post("/api/chat", content=good_body(message), headers=JSON)
    assert response.status_code == 200
    assert rasa.received[-1].json()["message"] == message


def test_message_of_exactly_the_limit_is_accepted(client: TestClient, rasa: StandIn) -> None:
    response = client.post("/api/chat", content=good_body("x" * 2000), headers=JSON)
    assert response.status_code == 200


def test_body_of_exactly_max_body_bytes_is_accepted(client: TestClient, web_settings: WebSettings) -> None:
    base = {"sender": GOOD_SENDER, "message": "hi", "pad": ""}
    pad = web_settings.max_body_bytes - len(json.dumps(base).encode())
    body = json.dumps({**base, "pad": "p" * pad}).encode()
    assert len(body) == web_settings.max_body_bytes
    assert client.post("/api/chat", content=body, headers=JSON).status_code == 200
    assert_error(client.post("/api/chat", content=body + b" ", headers=JSON), 413, "body_too_large")


def test_a_caller_supplied_http_client_is_used_and_left_open(
    web_settings: WebSettings, rasa: StandIn
) -> None:
    async def fake_rasa(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"recipient_id": "x", "text": "from the mock transport"}])

    http_client = httpx.AsyncClient(transport=httpx.MockTransport(fake_rasa))
    with TestClient(create_app(web_settings, http_client)) as client:
        response = client.post("/api/chat", content=good_body(), headers=JSON)
    assert response.json() == [{"recipient_id": "x", "text": "from the mock transport"}]
    assert not http_client.is_closed
    assert rasa.received == []


# ---- bad input -----------------------------------------------------------------------------------

OVERSIZED = json.dumps({"sender": GOOD_SENDER, "message": "hi", "pad": "p" * 17_000}).encode()


def case(name: str, status: int, code: str, content: Any = None, **kwargs: Any) -> Any:
    kwargs.setdefault("headers", JSON)
    if content is not None:
        kwargs["content"] = content
    return pytest.param(kwargs, status, code, id=name)


def with_type(content_type: str) -> dict[str, str]:
    return {"Content-Type": content_type}


BAD_REQUESTS = [
    case("malformed json", 400, "malformed_json", b'{"sender": "a", "message": '),
    case("empty body", 400, "malformed_json", b""),
    case("deeply nested json", 400, "malformed_json", b"[" * 15_000),
    case("utf-8 bom", 400, "malformed_json", b"\xef\xbb\xbf" + good_body()),
    case("not utf-8", 400, "invalid_encoding", b'{"sender": "a", "message": "caf\xe9"}'),
    case("lone surrogate", 400, "invalid_encoding", b'{"sender": "a", "message": "\\udc00"}'),
    case("json array", 422, "invalid_body", b'["hi"]'),
    case("json null", 422, "invalid_body", b"null"),
    case("missing sender", 422, "missing_field", b'{"message": "hi"}'),
    case("missing message", 422, "missing_field", b'{"sender": "abc"}'),
    case("message is a number", 422, "invalid_type", b'{"sender": "abc", "message": 12}'),
    case("message is null", 422, "invalid_type", b'{"sender": "abc", "message": null}'),
    case("sender is an object", 422, "invalid_type", b'{"sender": {}, "message": "hi"}'),
    case("empty message", 422, "empty_message", b'{"sender": "abc", "message": ""}'),
    case("whitespace message", 422, "empty_message", b'{"sender": "abc", "message": " \\n\\t\\u00a0 "}'),
    case("nul in message", 422, "invalid_characters", b'{"sender": "abc", "message": "a\\u0000b"}'),
    case("message too long", 422, "message_too_long", good_body("x" * 2001)),
    case("empty sender", 422, "invalid_sender", b'{"sender": "", "message": "hi"}'),
    case("sender with space", 422, "invalid_sender", b'{"sender": "a b", "message": "hi"}'),
    case("sender with markup", 422, "invalid_sender", b'{"sender": "<script>", "message": "hi"}'),
    case("sender too long", 422, "invalid_sender", b'{"sender": "' + b"a" * 129 + b'", "message": "hi"}'),
    case("body too large", 413, "body_too_large", OVERSIZED),
    case(
        "body too large, content-length lies",
        413,
        "body_too_large",
        OVERSIZED,
        headers={**JSON, "Content-Length": "20"},
    ),
    case("body too large, no content-length", 413, "body_too_large", chunks(OVERSIZED)),
    case(
        "content-length not a number",
        400,
        "invalid_content_length",
        good_body(),
        headers={**JSON, "Content-Length": "lots"},
    ),
    case(
        "content-length in other digits",
        400,
        "invalid_content_length",
        good_body(),
        headers={**JSON, "Content-Length": b"\xb2"},
    ),
    case("text/plain", 415, "unsupported_media_type", good_body(), headers=with_type("text/plain")),
    case("form encoded", 415, "unsupported_media_type", data={"sender": "abc", "message": "hi"}, headers={}),
    case("no content type", 415, "unsupported_media_type", good_body(), headers={}),
    case(
        "latin-1 charset",
        415,
        "unsupported_media_type",
        good_body(),
        headers=with_type("application/json; charset=latin-1"),
    ),
]


@pytest.mark.parametrize(("kwargs", "status", "code"), BAD_REQUESTS)
def test_bad_input_gets_a_json_4xx_and_the_next_good_request_works(
    client: TestClient, rasa: StandIn, kwargs: dict[str, Any], status: int, code: str
) -> None:
    response = client.post("/api/chat", **kwargs)

    assert_error(response, status, code)
    assert 400 <= response.status_code < 500
    assert rasa.received == []  # nothing bad reaches Rasa

    follow_up = client.post("/api/chat", content=good_body(), headers=JSON)
    assert follow_up.status_code == 200
    assert follow_up.json() == RASA_REPLY


def test_wrong_method_and_unknown_path_are_json_too(client: TestClient) -> None:
    response = client.get("/api/chat")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]
    assert_error(client.get("/api/nothing-here"), 404, "not_found")


# ---- faults behind the web service: one polite message, never silence or an error page -------------


def assert_one_moment(response: httpx.Response, fault: str) -> str:
    assert response.status_code == 200, response.text
    assert response.headers[FAULT_HEADER] == fault
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert len(body) == 1 and set(body[0]) == {"recipient_id", "text"}
    assert body[0]["recipient_id"] == GOOD_SENDER
    text = body[0]["text"]
    assert ONE_MOMENT in text and "talk to a person" in text and "emergency number" in text
    assert "Traceback" not in response.text and "HTTP" not in text
    return text


def test_rasa_unreachable_gets_the_one_moment_reply(
    make_client: Callable[..., TestClient], web_settings: WebSettings, dead_url: str
) -> None:
    client = make_client(web_settings.model_copy(update={"rasa_url": dead_url}))
    text = assert_one_moment(client.post("/api/chat", content=good_body(), headers=JSON), "bot_unavailable")
    assert text == ONE_MOMENT  # nothing urgent in the message: just the polite reply


def test_rasa_timeout_gets_the_one_moment_reply(
    make_client: Callable[..., TestClient], web_settings: WebSettings, rasa: StandIn
) -> None:
    rasa.delay_s = 1.5
    client = make_client(web_settings.model_copy(update={"rasa_timeout_s": 0.3}))
    assert_one_moment(client.post("/api/chat", content=good_body(), headers=JSON), "bot_unavailable")


@pytest.mark.parametrize(
    "reply",
    [
        json_reply({"error": "boom"}, status=500),
        json_reply([], status=404),
        (200, b"<html>not json</html>", "text/html"),
        json_reply({"not": "a list"}),
        json_reply(["not an object"]),
    ],
    ids=["500", "404", "not json", "not a list", "list of strings"],
)
def test_bad_rasa_answer_gets_the_one_moment_reply(
    client: TestClient, rasa: StandIn, reply: tuple[int, bytes, str]
) -> None:
    rasa.webhook_reply = reply
    assert_one_moment(client.post("/api/chat", content=good_body(), headers=JSON), "bot_error")


def test_no_answer_because_the_action_server_is_down_gets_the_one_moment_reply(
    make_client: Callable[..., TestClient], web_settings: WebSettings, rasa: StandIn, dead_url: str
) -> None:
    rasa.webhook_reply = json_reply([])  # what Rasa sends when its custom action could not be run
    client = make_client(web_settings.model_copy(update={"action_server_url": dead_url}))
    assert_one_moment(client.post("/api/chat", content=good_body(), headers=JSON), "actions_unavailable")


def test_no_answer_with_the_action_server_up_is_passed_through(
    client: TestClient, rasa: StandIn, action_server: StandIn
) -> None:
    # the stand-in has no HTTP API, so whether a navigator holds the conversation cannot be told: passed through
    rasa.webhook_reply = json_reply([])
    response = client.post("/api/chat", content=good_body(), headers=JSON)
    assert response.status_code == 200
    assert response.json() == []
    assert FAULT_HEADER not in response.headers


class SilentRasa:
    """Rasa (MockTransport) that answers nothing, with an HTTP API telling whether the conversation is paused."""

    def __init__(self, paused: bool | None, api_status: int = 200) -> None:
        self.paused, self.api_status = paused, api_status
        self.api_queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":
            return httpx.Response(200, json={"status": "ok"})
        if request.url.path == "/webhooks/rest/webhook":
            return httpx.Response(200, json=[])
        assert request.url.path == f"/conversations/{GOOD_SENDER}/tracker"
        self.api_queries.append(dict(request.url.params))
        return httpx.Response(self.api_status, json={"sender_id": GOOD_SENDER, "paused": self.paused})


@pytest.mark.parametrize(
    ("paused", "api_status", "fault"),
    [(False, 200, "no_reply"), (True, 200, None), (None, 200, None), (False, 401, None), (False, 404, None)],
    ids=["not paused: an action failed", "paused: a navigator answers", "no paused flag", "bad token", "no API"],
)
def test_no_answer_is_a_fault_unless_a_navigator_holds_the_conversation(
    web_settings: WebSettings, paused: bool | None, api_status: int, fault: str | None
) -> None:
    rasa = SilentRasa(paused, api_status)
    settings = web_settings.model_copy(update={"rasa_url": "http://rasa.test", "action_server_url": "http://a.test",
                                               "rasa_token": SecretStr("the-token")})
    with TestClient(create_app(settings, httpx.AsyncClient(transport=httpx.MockTransport(rasa)))) as client:
        response = client.post("/api/chat", content=good_body(), headers=JSON)
    if fault is None:
        assert response.status_code == 200 and response.json() == []
        assert FAULT_HEADER not in response.headers
    else:
        assert_one_moment(response, fault)
    assert rasa.api_queries == [{"include_events": "NONE", "token": "the-token"}]


def test_an_unhealthy_action_server_counts_as_down(
    client: TestClient, rasa: StandIn, action_server: StandIn
) -> None:
    rasa.webhook_reply = json_reply([])
    action_server.health_status = 503
    assert_one_moment(client.post("/api/chat", content=good_body(), headers=JSON), "actions_unavailable")


@pytest.mark.parametrize(
    ("message", "first_words"),
    [
        ("I have crushing chest pain right now", "Please get medical help now"),
        ("I want to kill myself", "Please reach out for help right now"),
    ],
)
def test_an_urgent_message_during_a_fault_gets_the_call_for_help_first(
    make_client: Callable[..., TestClient], web_settings: WebSettings, dead_url: str, message: str,
    first_words: str
) -> None:
    client = make_client(web_settings.model_copy(update={"rasa_url": dead_url}))
    text = assert_one_moment(client.post("/api/chat", content=good_body(message), headers=JSON), "bot_unavailable")
    assert text.startswith(first_words)
    assert "alerting" not in text  # no navigator is alerted while the bot is down: do not claim it


def test_the_conversation_goes_on_once_rasa_is_back(client: TestClient, rasa: StandIn) -> None:
    rasa.webhook_reply = json_reply({"error": "boom"}, status=500)
    assert_one_moment(client.post("/api/chat", content=good_body(), headers=JSON), "bot_error")
    rasa.webhook_reply = json_reply(RASA_REPLY)
    response = client.post("/api/chat", content=good_body(), headers=JSON)
    assert response.json() == RASA_REPLY and FAULT_HEADER not in response.headers
    assert [r.json() for r in rasa.received] == [{"sender": GOOD_SENDER, "message": "What is SHR-A1904?"}] * 2


def test_rasa_empty_list_is_passed_through(client: TestClient, rasa: StandIn) -> None:
    rasa.webhook_reply = json_reply([])
    response = client.post("/api/chat", content=good_body(), headers=JSON)
    assert response.status_code == 200
    assert response.json() == []


# ---- logging -------------------------------------------------------------------------------------


def test_logs_carry_a_sender_hash_and_sizes_but_no_message_text(
    client: TestClient, rasa: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "my-private-symptom-description"
    with caplog.at_level(logging.DEBUG):
        client.post("/api/chat", content=good_body(secret), headers=JSON)
        client.post(
            "/api/chat",
            content=json.dumps({"sender": GOOD_SENDER, "message": secret + " "}),
            headers={"Content-Type": "text/plain"},
        )
        rasa.webhook_reply = json_reply({"error": secret}, status=500)
        client.post("/api/chat", content=good_body(secret), headers=JSON)

    text = caplog.text
    assert secret not in text
    assert GOOD_SENDER not in text
    assert sender_hash(GOOD_SENDER) in text
    assert f"len={len(secret)}" in text


def test_unexpected_exception_is_a_generic_500_without_details(
    web_settings: WebSettings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(web_settings)

    @app.get("/boom")
    async def boom(q: str) -> None:
        raise RuntimeError(f"failed on {q}")

    with caplog.at_level(logging.DEBUG), TestClient(app) as client:  # the exception must not escape
        response = client.get("/boom", params={"q": "secret patient detail"})
    assert_error(response, 500, "internal_error")
    assert "secret" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "RuntimeError" in caplog.text
    assert "secret patient detail" not in caplog.text


# ---- over real HTTP (uvicorn) ------------------------------------------------------------------


def test_size_limit_holds_over_real_http(web_settings: WebSettings, rasa: StandIn) -> None:
    served = ServedApp(create_app(web_settings)).start()
    try:
        with httpx.Client(base_url=served.url, trust_env=False, timeout=10) as http:
            declared = http.post("/api/chat", content=OVERSIZED, headers=JSON)
            streamed = http.post("/api/chat", content=iter(chunks(OVERSIZED)), headers=JSON)
            good = http.post("/api/chat", content=good_body(), headers=JSON)
    finally:
        served.stop()
    assert_error(declared, 413, "body_too_large")
    assert_error(streamed, 413, "body_too_large")
    assert "content-length" not in streamed.request.headers
    assert good.status_code == 200
    assert good.json() == RASA_REPLY
    assert len(rasa.received) == 1
