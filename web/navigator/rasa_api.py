"""Rasa's HTTP API, as the console and the widget's message polling use it.

- ``GET  /conversations/{id}/tracker?include_events=ALL`` gives every event of a conversation, on any channel;
- ``POST /conversations/{id}/tracker/events`` appends events: ``pause`` (the bot stops answering, user
  messages are still recorded), a ``bot`` event carrying a navigator's words (``metadata.navigator``), and
  ``resume``. Bot events are sent with ``execute_side_effects=true&output_channel=latest`` so that on
  messaging channels (Telegram, WhatsApp ...) Rasa delivers them itself; the website widget polls for them.

The API token goes in the ``token`` query parameter (Rasa's token auth); it is never logged here. Failures
raise :class:`RasaApiError`; nothing here raises HTTP errors.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from cases.schemas import TranscriptMessage

WIDGET_CHANNEL = "rest"  # the REST channel the website widget talks to (through /api/chat)
# Sent by the widget without showing it (its opening greeting, web/static/widget.js GREET_PAYLOAD): the patient
# never typed it, so the console does not show it either.
HIDDEN_USER_MESSAGES = frozenset({"/greet"})


class RasaApiError(Exception):
    """Rasa's HTTP API could not be reached (``status`` None) or answered with an error status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _conversation_url(rasa_url: str, sender_id: str, suffix: str) -> str:
    return f"{rasa_url.rstrip('/')}/conversations/{quote(sender_id, safe='')}/{suffix}"


def _params(token: str | None, **extra: str) -> dict[str, str]:
    return {**extra, **({"token": token} if token else {})}


async def fetch_tracker(client: httpx.AsyncClient, rasa_url: str, token: str | None, sender_id: str,
                        timeout_s: float) -> dict[str, Any]:
    """The conversation's tracker with all its events (``events``, ``latest_input_channel``, ``paused`` ...)."""
    try:
        response = await client.get(_conversation_url(rasa_url, sender_id, "tracker"),
                                    params=_params(token, include_events="ALL"), timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise RasaApiError(f"tracker unreachable ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise RasaApiError(f"tracker: HTTP {response.status_code}", response.status_code)
    try:
        tracker = response.json()
    except ValueError:
        raise RasaApiError("tracker: not JSON") from None
    if not isinstance(tracker, dict) or not isinstance(tracker.get("events", []), list):
        raise RasaApiError("tracker: unexpected shape")
    tracker.setdefault("events", [])
    return tracker


async def append_events(client: httpx.AsyncClient, rasa_url: str, token: str | None, sender_id: str,
                        events: list[dict[str, Any]], timeout_s: float, *, deliver: bool = False) -> None:
    """Append events to the conversation; with ``deliver``, Rasa also sends bot events out on the
    conversation's latest channel (where that channel can send by itself)."""
    extra = {"include_events": "NONE"}
    if deliver:
        extra |= {"execute_side_effects": "true", "output_channel": "latest"}
    try:
        response = await client.post(_conversation_url(rasa_url, sender_id, "tracker/events"),
                                     params=_params(token, **extra), json=events, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise RasaApiError(f"events unreachable ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise RasaApiError(f"events: HTTP {response.status_code}", response.status_code)


def pause_event() -> dict[str, Any]:
    return {"event": "pause"}


def resume_event() -> dict[str, Any]:
    return {"event": "resume"}


def navigator_bot_event(text: str, username: str) -> dict[str, Any]:
    return {"event": "bot", "text": text, "metadata": {"navigator": True, "navigator_username": username},
            "timestamp": datetime.now(UTC).timestamp()}


def _iso(timestamp: Any) -> str:
    try:
        return datetime.fromtimestamp(float(timestamp), UTC).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def is_navigator_event(event: dict[str, Any]) -> bool:
    return event.get("event") == "bot" and bool((event.get("metadata") or {}).get("navigator"))


def _button_titles(event: dict[str, Any]) -> dict[str, str]:
    """``{payload: title}`` of a bot message's intent buttons (Rasa keeps buttons in the event's ``data``)."""
    buttons = (event.get("data") or {}).get("buttons") if isinstance(event.get("data"), dict) else None
    titles = {}
    for button in buttons if isinstance(buttons, list) else []:
        payload, title = (button.get("payload"), button.get("title")) if isinstance(button, dict) else (None, None)
        # Only intent payloads ("/request_human"): a plain-word payload ("yes") is what a patient may also type,
        # and the record keeps their words as they are.
        if isinstance(payload, str) and payload.startswith("/") and isinstance(title, str) and title:
            titles[payload] = title
    return titles


def transcript_from_events(events: list[dict[str, Any]]) -> list[TranscriptMessage]:
    """User and bot messages with text, in order; a bot event marked ``navigator`` is a navigator's message.

    The transcript reads as the patient saw the conversation: a button that sends an intent payload
    (``/request_human``) is shown by its title, as the widget shows it, and the widget's silent opening message
    (``/greet``) is left out.
    """
    transcript: list[TranscriptMessage] = []
    titles: dict[str, str] = {}
    for event in events:
        kind = event.get("event") if isinstance(event, dict) else None
        text = event.get("text") if kind in ("user", "bot") else None
        if kind == "bot":
            titles.update(_button_titles(event))
        if not isinstance(text, str) or not text:
            continue
        if kind == "user":
            text, titles = titles.get(text, text), {}  # the buttons of the bot's last turn, then forgotten
            if text in HIDDEN_USER_MESSAGES:
                continue
        role = "navigator" if is_navigator_event(event) else kind
        transcript.append({"role": role, "text": text, "at": _iso(event.get("timestamp"))})  # type: ignore[typeddict-item]
    return transcript


def navigator_messages_after(events: list[dict[str, Any]], after: int) -> list[dict[str, Any]]:
    """The navigators' messages whose event index is greater than ``after``: ``[{"index", "text"}]``."""
    return [
        {"index": index, "text": event["text"]}
        for index, event in enumerate(events)
        if index > after and is_navigator_event(event) and isinstance(event.get("text"), str) and event["text"]
    ]
