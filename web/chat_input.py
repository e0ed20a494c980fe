"""Reading and validating a chat request from the raw HTTP body, without FastAPI's body parsing.

:func:`read_body` enforces the byte limit while streaming (so a missing or lying Content-Length cannot
get past it); :func:`parse_chat_request` checks content type, encoding, JSON and fields in that order.
Both raise :class:`ChatInputError` with a stable ``code``; the route maps codes to HTTP statuses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.requests import Request

SENDER_PATTERN = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")
MESSAGE_ID_PATTERN = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DIGITS = re.compile("[0-9]{1,20}")


class ChatInputError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class ChatRequest:
    """What is forwarded to Rasa: exactly ``sender`` and ``message`` (any other field in the body is dropped)."""

    sender: str
    message: str
    message_id: str | None = None  # the client's id of this message: a retry with the same id is answered once

    def as_json(self) -> dict[str, str]:
        return {"sender": self.sender, "message": self.message}


def check_content_type(content_type: str | None) -> None:
    media_type, _, params = (content_type or "").partition(";")
    if media_type.strip().lower() != "application/json":
        raise ChatInputError(
            "unsupported_media_type", "Send the message as JSON (Content-Type: application/json)."
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise ChatInputError("unsupported_media_type", "Only UTF-8 encoded JSON is accepted.")


async def read_body(request: Request, max_bytes: int) -> bytes:
    too_large = ChatInputError("body_too_large", f"The request body is larger than {max_bytes} bytes.")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not _DIGITS.fullmatch(declared.strip()):
            raise ChatInputError("invalid_content_length", "The Content-Length header is not a number.")
        if int(declared) > max_bytes:
            raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def parse_chat_request(raw: bytes, max_message_chars: int) -> ChatRequest:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ChatInputError("invalid_encoding", "The request body is not valid UTF-8.") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ChatInputError("malformed_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ChatInputError("invalid_body", 'The request body must be a JSON object {"sender", "message"}.')

    for field in ("sender", "message"):
        if field not in data:
            raise ChatInputError("missing_field", f"The field '{field}' is required.")
        if not isinstance(data[field], str):
            raise ChatInputError("invalid_type", f"The field '{field}' must be a string.")

    sender, message = data["sender"], data["message"]
    if not SENDER_PATTERN.fullmatch(sender):
        raise ChatInputError(
            "invalid_sender",
            "The sender must be 1 to 128 characters of letters, digits, '_', '.', ':' or '-'.",
        )
    if not message.strip():
        raise ChatInputError("empty_message", "The message is empty.")
    if _LONE_SURROGATE.search(message):
        # Valid UTF-8 bytes, but a JSON escape such as "\ud800" names no character.
        raise ChatInputError("invalid_encoding", "The message contains an invalid Unicode escape.")
    if _CONTROL_CHARS.search(message):
        # NUL and other C0 controls are never typed text (and PostgreSQL cannot store NUL).
        raise ChatInputError("invalid_characters", "The message contains control characters.")
    if len(message) > max_message_chars:
        raise ChatInputError(
            "message_too_long",
            f"The message is longer than {max_message_chars} characters; please shorten it.",
        )
    message_id = data.get("message_id")
    if message_id is not None and (not isinstance(message_id, str) or not MESSAGE_ID_PATTERN.fullmatch(message_id)):
        raise ChatInputError("invalid_message_id", "The message_id must be 1 to 64 letters, digits, '_' or '-'.")
    return ChatRequest(sender=sender, message=message, message_id=message_id)
