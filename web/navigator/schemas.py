"""Request and response shapes of the console's JSON API (the case shapes themselves live in
``cases.schemas``: ``CasePublic``, ``CaseUpdate``, ``NoteCreate``, ``NotePublic`` ...)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cases.schemas import TranscriptMessage

MAX_REPLY_CHARS = 2000


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class MePublic(BaseModel):
    """The signed-in navigator and the CSRF token to send in ``X-CSRF-Token``."""

    username: str
    trials: list[str]
    csrf_token: str


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(default=None, max_length=64)


class ReplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REPLY_CHARS)]


class TranscriptPublic(BaseModel):
    """The conversation as shown on the case page; ``live`` says whether it came from Rasa just now."""

    transcript: list[TranscriptMessage]
    live: bool
    held_by: str | None


class LiveMessagePublic(BaseModel):
    index: int
    text: str


class LiveMessagesPublic(BaseModel):
    """Navigator messages after the widget's cursor, and the new cursor (index of the last event)."""

    messages: list[LiveMessagePublic]
    cursor: int
