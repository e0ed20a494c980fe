"""Shapes of the web API for OpenAPI; the chat reply itself is Rasa's list, passed through unchanged."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorPublic(BaseModel):
    error: str
    detail: str


class ChatRequestPublic(BaseModel):
    """Documentation of the chat body; the route validates the raw body itself (see ``web.chat_input``)."""

    sender: str
    message: str
    message_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_\-]{1,64}$", description=(
        "The client's id of this message; a retry with the same id gets the first answer instead of a second one."))


class BotMessagePublic(BaseModel):
    """One message from Rasa's REST channel, passed through unchanged (extra keys such as ``image`` kept)."""

    model_config = ConfigDict(extra="allow")

    recipient_id: str
    text: str | None = None
    buttons: list[dict[str, Any]] | None = None
    custom: dict[str, Any] | None = None


class ServiceStatusPublic(BaseModel):
    ok: bool
    detail: str


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"]
    services: dict[str, ServiceStatusPublic]
