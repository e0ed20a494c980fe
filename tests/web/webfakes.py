"""Test doubles for the web service tests: real localhost HTTP stand-ins for Rasa and the action server.

A :class:`StandIn` is a small ``http.server`` in a thread on a free port. It answers like Rasa
(``GET /`` -> "Hello from Rasa: 3.6.21", ``POST /webhooks/rest/webhook`` -> a list of messages) and like
the action server (``GET /health`` -> ``{"status": "ok"}``), and records every webhook request it receives.
Tests change its behaviour through plain attributes.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn

GOOD_SENDER = "3f2b8c1e-6a7d-4e0f-9b1a-2c3d4e5f6a7b"

RASA_REPLY: list[dict[str, Any]] = [
    {
        "recipient_id": GOOD_SENDER,
        "text": "Hello! I can answer questions about trial NCT07520357.\nWhat would you like to know?",
        "buttons": [
            {"title": "What is SHR-A1904?", "payload": "/ask_drug"},
            {"title": "Talk to a person", "payload": "/handoff"},
        ],
    },
    {
        "recipient_id": GOOD_SENDER,
        "custom": {
            "citations": [
                {
                    "source": "Trial summary",
                    "section": "About this trial",
                    "score": 0.83,
                    "text": "SHR-A1904 is an antibody-drug conjugate targeting CLDN18.2.",
                }
            ]
        },
    },
    {"recipient_id": GOOD_SENDER, "image": "https://example.org/x.png"},
]

Reply = tuple[int, bytes, str]  # status, body, content type


def json_reply(payload: Any, status: int = 200) -> Reply:
    return status, json.dumps(payload).encode("utf-8"), "application/json"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class StandIn:
    """Behaviour knobs (change them in a test) and what was received."""

    root_status: int = 200
    health_status: int = 200
    delay_s: float = 0.0
    responder: Callable[[dict[str, Any]], Reply] | None = None
    webhook_reply: Reply = field(default_factory=lambda: json_reply(RASA_REPLY))
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def reply_to(self, body: bytes) -> Reply:
        if self.responder is not None:
            return self.responder(json.loads(body))
        return self.webhook_reply


def handler_for(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if standin.delay_s:
                time.sleep(standin.delay_s)
            if self.path == "/":
                self._send(standin.root_status, b"Hello from Rasa: 3.6.21", "text/plain; charset=utf-8")
            elif self.path == "/health":
                self._send(standin.health_status, b'{"status":"ok"}', "application/json")
            else:
                self._send(404, b'{"error":"not found"}', "application/json")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            standin.received.append(Received(self.path, dict(self.headers.items()), body))
            if standin.delay_s:
                time.sleep(standin.delay_s)
            if self.path != "/webhooks/rest/webhook":
                self._send(404, b"{}", "application/json")
                return
            self._send(*standin.reply_to(body))

    return Handler


def start_standin() -> tuple[StandIn, ThreadingHTTPServer]:
    """Start a stand-in on a free localhost port; the caller shuts the server down."""
    standin = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(standin))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    return standin, server


@dataclass
class FakeIndex:
    ok: bool = True
    detail: str = "index ok: 42 chunks"
    delay_s: float = 0.0
    error: Exception | None = None
    calls: list[Path] = field(default_factory=list)

    def check_index(self, index_dir: Path) -> tuple[bool, str]:
        self.calls.append(index_dir)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        return self.ok, self.detail


class ServedApp:
    """An ASGI app served by a real uvicorn on a free localhost port, in a thread."""

    def __init__(self, app: Any) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self, timeout_s: float = 10.0) -> ServedApp:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
