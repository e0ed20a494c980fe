"""``POST /api/chat``: validate the raw body, forward ``{sender, message}`` to Rasa's REST channel, and
return Rasa's list of messages unchanged.

Status codes: 400 bad encoding / bad JSON / bad Content-Length, 413 body over ``max_body_bytes``,
415 not JSON, 422 bad fields (including a message over ``max_message_chars``: the body was acceptable, one
field is not), 502 Rasa answered badly, 503 Rasa unreachable or too slow. Logs carry a hash of the sender,
sizes and statuses, never the message text.
"""

from __future__ import annotations

import hashlib
import logging
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from web.chat_input import ChatInputError, check_content_type, parse_chat_request, read_body
from web.deps import HttpClientDep, SettingsDep
from web.errors import ApiError
from web.rasa_client import BotError, BotUnavailable, send_to_rasa
from web.schemas import BotMessagePublic, ChatRequestPublic, ErrorPublic

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["chat"])

_STATUS_BY_CODE = {
    "unsupported_media_type": 415,
    "body_too_large": 413,
    "invalid_content_length": 400,
    "invalid_encoding": 400,
    "malformed_json": 400,
}  # every other input error is 422

_NO_STORE = {"Cache-Control": "no-store"}


def sender_hash(sender: str) -> str:
    return hashlib.sha256(sender.encode("utf-8")).hexdigest()[:12]


@router.post(
    "/chat",
    response_model=list[BotMessagePublic],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ChatRequestPublic.model_json_schema()}},
        }
    },
    responses={code: {"model": ErrorPublic} for code in (400, 413, 415, 422, 502, 503)},
)
async def chat(request: Request, settings: SettingsDep, client: HttpClientDep) -> JSONResponse:
    try:
        check_content_type(request.headers.get("content-type"))
        raw = await read_body(request, settings.max_body_bytes)
        chat_request = parse_chat_request(raw, settings.max_message_chars)
    except ChatInputError as exc:
        status = _STATUS_BY_CODE.get(exc.code, 422)
        logger.info("chat rejected: %s (%d)", exc.code, status)
        raise ApiError(status, exc.code, exc.detail) from None

    who = sender_hash(chat_request.sender)
    started = time.perf_counter()
    try:
        messages = await send_to_rasa(
            client, settings.rasa_url, chat_request.as_json(), settings.rasa_timeout_s
        )
    except BotUnavailable as exc:
        logger.warning("chat sender=%s len=%d rasa unavailable: %s", who, len(chat_request.message), exc)
        raise ApiError(
            503, "bot_unavailable", "The assistant is not available right now. Please try again in a moment."
        ) from None
    except BotError as exc:
        logger.warning("chat sender=%s len=%d rasa error: %s", who, len(chat_request.message), exc)
        raise ApiError(
            502, "bot_error", "The assistant could not answer this message. Please try again in a moment."
        ) from None
    logger.info(
        "chat sender=%s len=%d -> %d messages in %.0f ms",
        who,
        len(chat_request.message),
        len(messages),
        (time.perf_counter() - started) * 1000,
    )
    return JSONResponse(messages, headers=_NO_STORE)
