"""A localhost stand-in for Rasa's HTTP API and REST channel, for the navigator console tests.

:class:`FakeRasa` keeps one tracker (a list of events) per conversation, like Rasa does:

- ``POST /webhooks/rest/webhook`` records a ``user`` event (channel ``rest``) and, unless the conversation is
  paused, a ``bot`` reply "You said: ...", which it returns as the REST channel does;
- ``GET /conversations/{id}/tracker`` returns ``{"sender_id", "events", "latest_input_channel", "paused"}``;
- ``POST /conversations/{id}/tracker/events`` appends events (``pause`` / ``resume`` change ``paused``).

The HTTP API routes require ``?token=<token>`` (401 otherwise), as ``rasa run --enable-api --auth-token``
does. Every API request is recorded (path, query, JSON body). ``down = True`` makes the API answer 500.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PREFIX = "/conversations/"


@dataclass
class ApiCall:
    method: str
    sender: str
    path: str
    query: dict[str, str]
    body: Any = None


@dataclass
class FakeRasa:
    token: str
    url: str = ""
    down: bool = False
    trackers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    paused: dict[str, bool] = field(default_factory=dict)
    calls: list[ApiCall] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_conversation(self, sender: str, events: list[dict[str, Any]], channel: str | None = "rest") -> None:
        with self.lock:
            self.trackers[sender] = [dict(e) for e in events]
            if channel is not None:
                self.channels[sender] = channel

    def say_as_patient(self, sender: str, text: str) -> None:
        with self.lock:
            self.trackers.setdefault(sender, []).append(
                {"event": "user", "text": text, "timestamp": time.time(), "input_channel": "rest"})
            self.channels[sender] = "rest"

    def events_of(self, sender: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.trackers.get(sender, []))

    def api_calls(self, method: str | None = None) -> list[ApiCall]:
        return [c for c in self.calls if method is None or c.method == method]


def _handler(fake: FakeRasa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length", "0"))
            return json.loads(self.rfile.read(length) or b"null")

        def _api(self, method: str) -> tuple[str, str, dict[str, str]] | None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if not parts.path.startswith(PREFIX):
                return None
            rest = parts.path[len(PREFIX):]
            sender_raw, _, what = rest.partition("/")
            return unquote(sender_raw), what, query

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/":
                self._send(200, "Hello from Rasa: 3.6.21")
                return
            found = self._api("GET")
            if found is None or found[1] != "tracker":
                self._send(404, {"error": "not found"})
                return
            sender, _what, query = found
            fake.calls.append(ApiCall("GET", sender, self.path, query))
            if query.get("token") != fake.token:
                self._send(401, {"message": "User is not authenticated."})
                return
            if fake.down:
                self._send(500, {"message": "boom"})
                return
            with fake.lock:
                events = list(fake.trackers.get(sender, []))
                payload = {"sender_id": sender, "events": events, "paused": fake.paused.get(sender, False),
                           "latest_input_channel": fake.channels.get(sender)}
            self._send(200, payload)

        def do_POST(self) -> None:  # noqa: N802
            if self.path == "/webhooks/rest/webhook":
                body = self._body()
                sender, text = body["sender"], body["message"]
                fake.say_as_patient(sender, text)
                with fake.lock:
                    if fake.paused.get(sender):
                        self._send(200, [])
                        return
                    reply = f"You said: {text}"
                    fake.trackers[sender].append({"event": "bot", "text": reply, "timestamp": time.time()})
                self._send(200, [{"recipient_id": sender, "text": reply}])
                return
            found = self._api("POST")
            if found is None or found[1] != "tracker/events":
                self._send(404, {"error": "not found"})
                return
            sender, _what, query = found
            body = self._body()
            fake.calls.append(ApiCall("POST", sender, self.path, query, body))
            if query.get("token") != fake.token:
                self._send(401, {"message": "User is not authenticated."})
                return
            if fake.down:
                self._send(500, {"message": "boom"})
                return
            with fake.lock:
                for event in body if isinstance(body, list) else [body]:
                    if event.get("event") == "pause":
                        fake.paused[sender] = True
                    elif event.get("event") == "resume":
                        fake.paused[sender] = False
                    fake.trackers.setdefault(sender, []).append(event)
            self._send(200, {"sender_id": sender})

    return Handler


def start_fake_rasa(token: str) -> tuple[FakeRasa, ThreadingHTTPServer]:
    fake = FakeRasa(token=token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    return fake, server
