"""Talking to the Rasa server and the action server over HTTP (one shared ``httpx.AsyncClient``).

:func:`send_to_rasa` posts to Rasa's REST channel and returns its list of messages unchanged; failures are
:class:`BotUnavailable` (no connection, timeout) or :class:`BotError` (non-200 or a body that is not a
list of objects). :func:`probe` is the health check of one URL: ``(ok, detail)``, never raising.
:func:`conversation_paused` asks Rasa's HTTP API whether a conversation is paused (a navigator holds it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

REST_WEBHOOK_PATH = "/webhooks/rest/webhook"


class BotUnavailable(Exception):
    """Rasa could not be reached or did not answer in time."""


class BotError(Exception):
    """Rasa answered, but not with 200 and a JSON list of messages."""


def _join(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


async def send_to_rasa(
    client: httpx.AsyncClient, rasa_url: str, payload: dict[str, str], timeout_s: float
) -> list[dict[str, Any]]:
    try:
        response = await client.post(_join(rasa_url, REST_WEBHOOK_PATH), json=payload, timeout=timeout_s)
    except httpx.TimeoutException as exc:
        raise BotUnavailable("timeout") from exc
    except httpx.TransportError as exc:
        raise BotUnavailable(type(exc).__name__) from exc
    if response.status_code != 200:
        raise BotError(f"HTTP {response.status_code}")
    try:
        messages = response.json()
    except ValueError as exc:
        raise BotError("response is not JSON") from exc
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise BotError("response is not a list of messages")
    return messages


async def probe(client: httpx.AsyncClient, url: str, timeout_s: float) -> tuple[bool, str]:
    try:
        response = await client.get(url, timeout=timeout_s)
    except httpx.TimeoutException:
        return False, f"timed out after {timeout_s:g} s"
    except httpx.TransportError as exc:
        return False, f"unreachable ({type(exc).__name__})"
    if response.status_code != 200:
        return False, f"HTTP {response.status_code}"
    return True, "HTTP 200"


def rasa_root_url(rasa_url: str) -> str:
    return _join(rasa_url, "/")


def action_server_health_url(action_server_url: str) -> str:
    return _join(action_server_url, "/health")


async def conversation_paused(
    client: httpx.AsyncClient, rasa_url: str, token: str | None, sender: str, timeout_s: float
) -> bool | None:
    """Whether Rasa holds the conversation paused (a navigator answers it), from its HTTP API
    (``GET /conversations/{id}/tracker?include_events=NONE``); ``None`` when that cannot be told (no API, no
    token, an error). Never raises; the token travels in the query string and is not logged here."""
    params = {"include_events": "NONE", **({"token": token} if token else {})}
    url = _join(rasa_url, f"/conversations/{quote(sender, safe='')}/tracker")
    try:
        response = await client.get(url, params=params, timeout=timeout_s)
        paused = response.json().get("paused") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return paused if isinstance(paused, bool) else None
