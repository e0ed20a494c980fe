"""A local stand-in for the three providers' APIs (Telegram Bot API, Twilio REST API, Meta Graph API), on
127.0.0.1, recording every request the Rasa server makes and answering as the provider documents.

Paths: ``/telegram/bot<token>/<method>``, ``/twilio/2010-04-01/Accounts/<sid>/Messages.json``,
``/graph/v<version>/me/messages``. A wrong token or wrong credentials get the provider's 401.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    """One request the Rasa server made to a provider."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)
    json: Any = None


@dataclass
class ProviderConfig:
    telegram_token: str
    telegram_bot_name: str
    twilio_account_sid: str
    twilio_auth_token: str
    messenger_page_token: str


class ProviderStandIn:
    """Start with :meth:`start`, stop with :meth:`stop`; ``requests`` holds what arrived, oldest first."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                stand_in._handle(self)

            def do_POST(self) -> None:  # noqa: N802
                stand_in._handle(self)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ProviderStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def matching(self, predicate: Callable[[Recorded], bool]) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if predicate(r)]

    def wait_for(self, predicate: Callable[[Recorded], bool], count: int = 1, timeout_s: float = 30) -> list[Recorded]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.matching(predicate)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        return self.matching(predicate)

    # ---- answering ------------------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        record = Recorded(handler.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                          {k.lower(): v for k, v in handler.headers.items()}, body)
        content_type = handler.headers.get("Content-Type", "")
        if "application/x-www-form-urlencoded" in content_type:
            record.form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        elif "json" in content_type and body:
            record.json = json.loads(body)
        with self._lock:
            self.requests.append(record)
        status, answer = self._answer(record)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, record: Recorded) -> tuple[int, Any]:
        if match := re.fullmatch(r"/telegram/bot([^/]+)/(\w+)", record.path):
            return self._telegram(match.group(1), match.group(2), record)
        if match := re.fullmatch(r"/twilio/2010-04-01/Accounts/([^/]+)/Messages\.json", record.path):
            return self._twilio(match.group(1), record)
        if re.fullmatch(r"/graph/v[\d.]+/me/messages", record.path):
            return self._graph(record)
        return 404, {"error": "not found"}

    def _telegram(self, token: str, method: str, record: Recorded) -> tuple[int, Any]:
        if token != self.config.telegram_token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if method == "getMe":
            me = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Trial helper",
                  "username": self.config.telegram_bot_name}
            return 200, {"ok": True, "result": me}
        if method in ("setWebhook", "answerCallbackQuery", "deleteWebhook"):
            return 200, {"ok": True, "result": True}
        if method == "sendMessage":
            chat_id = int(record.form["chat_id"])
            return 200, {"ok": True, "result": {"message_id": next(self._ids), "date": int(time.time()),
                                                "chat": {"id": chat_id, "type": "private"},
                                                "text": record.form.get("text", "")}}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _twilio(self, sid: str, record: Recorded) -> tuple[int, Any]:
        expected = base64.b64encode(f"{self.config.twilio_account_sid}:{self.config.twilio_auth_token}".encode())
        if sid != self.config.twilio_account_sid or record.headers.get("authorization") != f"Basic {expected.decode()}":
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        return 201, {"sid": f"SM{next(self._ids):032d}", "account_sid": sid, "status": "queued",
                     "to": record.form.get("To"), "from": record.form.get("From"), "body": record.form.get("Body"),
                     "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01"}

    def _graph(self, record: Recorded) -> tuple[int, Any]:
        if record.query.get("access_token") != self.config.messenger_page_token:
            return 400, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}
        recipient = (record.json or {}).get("recipient", {}).get("id")
        if "sender_action" in (record.json or {}):
            return 200, {"recipient_id": recipient}
        return 200, {"recipient_id": recipient, "message_id": f"m_{next(self._ids)}"}
