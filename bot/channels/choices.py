"""Buttons as numbered choices, for channels without buttons (SMS, WhatsApp through Twilio) or with too
many for the channel, and a reply of just a number mapped back to that button's payload.

Every button gets a number, its *key*. A button whose payload is itself a whole number (the ECOG scale's
"0 – fully active" has payload "0") keeps that number, so typing "1" always means what a patient reading
"1" expects, and a tapped button's payload never changes meaning; the others get 1, 2, 3 ... in order,
skipping numbers already taken. The same buttons always get the same keys, so the channel that rendered
them and the webhook that reads the reply (possibly another Rasa server) agree.

Pure functions with no Rasa import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

CHOICE_PROMPT = "Reply with a number:"
_NUMBER_REPLY = re.compile(r"\s*#?(\d{1,2})\s*[.)]?\s*")
_WHOLE_NUMBER = re.compile(r"\d{1,2}")
# "0 – fully active" or "2. Evening": a title that starts with its own number and a separator
_NUMBERED_TITLE = re.compile(r"(\d{1,2})\s*[–—\-.:)]\s*(.+)", re.DOTALL)


@dataclass(frozen=True)
class Choice:
    """One button as a numbered choice: ``key`` is what the patient types, ``label`` what they read."""

    key: str
    label: str
    title: str
    payload: str


def choices_for(buttons: Iterable[Mapping[str, Any]]) -> list[Choice]:
    """The buttons (Rasa's ``{"title", "payload"}`` dicts) as numbered choices, in their order."""
    items = [(str(b.get("title") or b.get("payload") or ""), str(b.get("payload") or b.get("title") or ""))
             for b in buttons]
    own: dict[int, int] = {}  # button index -> its own number
    for index, (_title, payload) in enumerate(items):
        if _WHOLE_NUMBER.fullmatch(payload.strip()) and int(payload) not in own.values():
            own[index] = int(payload)
    taken = set(own.values())
    next_key = 1
    choices = []
    for index, (title, payload) in enumerate(items):
        if index in own:
            key = own[index]
        else:
            while next_key in taken:
                next_key += 1
            key = next_key
            taken.add(key)
        choices.append(Choice(str(key), _label(title, key), title, payload))
    return choices


def _label(title: str, key: int) -> str:
    """The title without a leading copy of its own number ("0 – fully active" -> "fully active")."""
    match = _NUMBERED_TITLE.fullmatch(title.strip())
    if match and int(match.group(1)) == key:
        return match.group(2).strip()
    return title.strip()


def render_numbered(text: str, buttons: Iterable[Mapping[str, Any]]) -> str:
    """The message text followed by its buttons as a numbered list."""
    lines = [f"{choice.key}. {choice.label}" for choice in choices_for(buttons)]
    if not lines:
        return text
    return "\n".join([text.rstrip(), "", CHOICE_PROMPT, *lines]) if text.strip() else "\n".join(
        [CHOICE_PROMPT, *lines])


def is_number_reply(reply: str | None) -> bool:
    """True when the whole reply is a choice number ("2", "2.", "#2")."""
    return bool(reply and _NUMBER_REPLY.fullmatch(reply))


def picked_payload(reply: str | None, buttons: Iterable[Mapping[str, Any]] | None) -> str | None:
    """The payload of the button whose number is the whole reply ("2", "2.", "#2"), else None."""
    if not reply or not buttons:
        return None
    match = _NUMBER_REPLY.fullmatch(reply)
    if not match:
        return None
    key = str(int(match.group(1)))
    for choice in choices_for(buttons):
        if choice.key == key:
            return choice.payload
    return None


def buttons_awaiting_reply(events_newest_first: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]] | None:
    """The buttons of the bot's last message, if the patient has not written since it; else None.

    ``events_newest_first`` are tracker events as dicts (``{"event": "bot", "data": {...}}``), newest
    first; only the very last bot message counts, so a number typed to answer a later question without
    buttons (an age, say) is never taken for a choice.
    """
    for event in events_newest_first:
        kind = event.get("event")
        if kind == "user":
            return None
        if kind == "bot":
            data = event.get("data") or {}
            return list(data.get("buttons") or data.get("quick_replies") or []) or None
    return None
