"""Plain HTTP clients of the running web service, for the handoff benchmark and end-to-end tests.

- :class:`PatientChat` is what the widget does: ``POST /api/chat`` turns with one sender id, and
  ``GET /api/chat/messages`` polls for a navigator's replies.
- :class:`NavigatorClient` signs in to the console's JSON API and sends the session cookie and the CSRF token
  itself. The cookie is ``Secure`` (``__Host-`` prefix); a browser keeps it on ``http://127.0.0.1``, but
  Python's cookie jar would not send it over plain http, so it is carried by hand.
- :func:`handoff_by_phone` walks the handoff conversation to a case reference.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

REFERENCE = re.compile(r"\bNT-[2-9A-HJ-NP-Z]{6}\b")
TRIAL = "NCT07520357"
PHONE = "+44 20 7946 0958"
PHONE_E164 = "+442079460958"


class HandoffError(RuntimeError):
    """A conversation or console call did not go as expected; the message says where."""


@dataclass
class PatientChat:
    """One patient's conversation through the web service, as the widget holds it."""

    url: str
    client: httpx.Client
    sender: str = field(default_factory=lambda: uuid.uuid4().hex)
    texts: list[str] = field(default_factory=list)

    def say(self, message: str, timeout_s: float = 120) -> list[str]:
        """Send one message; returns the bot's texts (empty while a navigator holds the conversation)."""
        response = self.client.post(f"{self.url}/api/chat", json={"sender": self.sender, "message": message},
                                    timeout=timeout_s)
        if response.status_code != 200:
            raise HandoffError(f"/api/chat answered {response.status_code} to {message!r}: {response.text[:300]}")
        texts = [m["text"] for m in response.json() if isinstance(m.get("text"), str)]
        self.texts.extend(texts)
        return texts

    def poll(self, after: int = -1) -> dict[str, Any]:
        """One poll of ``/api/chat/messages``: ``{"messages": [{"index", "text"}], "cursor"}``."""
        response = self.client.get(f"{self.url}/api/chat/messages", params={"sender": self.sender, "after": after},
                                   timeout=30)
        if response.status_code != 200:
            raise HandoffError(f"/api/chat/messages answered {response.status_code}: {response.text[:300]}")
        return response.json()


def handoff_by_phone(chat: PatientChat, language: str = "English", when: str = "weekday mornings") -> str:
    """Ask for a person, consent, choose phone, leave a number, language and time; returns the case reference."""
    steps = [("I want to talk to a person", "Is that okay"), ("yes", "contacted"), ("phone", "phone number"),
             (PHONE, "language"), (language, "good time"), (when, "case reference")]
    for message, expected in steps:
        said = " ".join(chat.say(message))
        if expected.lower() not in said.lower():
            raise HandoffError(f"after {message!r} the bot said {said!r}, not {expected!r}")
    found = REFERENCE.search(chat.texts[-1] if chat.texts else "")
    if not found:
        raise HandoffError(f"no case reference in {chat.texts[-1:]!r}")
    return found.group(0)


@dataclass
class NavigatorClient:
    """A navigator signed in to the console's JSON API."""

    url: str
    client: httpx.Client
    cookie: str = ""
    csrf: str = ""

    def sign_in(self, username: str, password: str) -> NavigatorClient:
        response = self.client.post(f"{self.url}/api/navigator/login", json={"username": username,
                                                                             "password": password}, timeout=30)
        if response.status_code != 200:
            raise HandoffError(f"sign-in answered {response.status_code}: {response.text[:300]}")
        self.csrf = response.json()["csrf_token"]
        self.cookie = next(header.split(";", 1)[0] for header in response.headers.get_list("set-cookie")
                           if header.startswith("__Host-"))
        return self

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Cookie": self.cookie, "X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request that must succeed; returns the JSON body (or None)."""
        response = self.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise HandoffError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def case_by_reference(self, reference: str) -> dict[str, Any]:
        queue = self.call("GET", "/api/navigator/cases")
        found = [c for c in queue if c["reference"] == reference]
        if not found:
            raise HandoffError(f"case {reference} is not in the queue ({len(queue)} cases)")
        return self.call("GET", f"/api/navigator/cases/{found[0]['id']}")
