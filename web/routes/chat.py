"""``POST /api/chat``: rate-limit, validate the raw body, forward ``{sender, message}`` to Rasa's REST channel,
and return Rasa's list of messages unchanged.

Bad input keeps its error statuses: 400 bad encoding / bad JSON / bad Content-Length, 413 body over
``max_body_bytes``, 415 not JSON, 422 bad fields (including a message over ``max_message_chars``: the body was
acceptable, one field is not), 429 over the rate limit (per client address, then per sender). A fault behind
us is never silence or an error page for the patient: when Rasa is unreachable, too slow or answers badly, or
answers nothing because a custom action could not run (the conversation is not paused for a navigator), the
answer is 200 with one polite "one moment" message (``ONE_MOMENT``; call-for-help words first when the message
reports an urgent symptom) and an ``X-Chat-Fault`` header naming the fault. Logs carry a hash of the sender,
sizes and statuses, never the message text.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from trialbot.settings import WebSettings
from web.chat_input import (
    SENDER_PATTERN,
    ChatInputError,
    ChatRequest,
    check_content_type,
    parse_chat_request,
    read_body,
)
from web.chat_replay import ChatReplayCache
from web.deps import HttpClientDep, SettingsDep
from web.errors import ApiError
from web.rasa_client import (
    BotError,
    BotUnavailable,
    action_server_health_url,
    conversation_paused,
    probe,
    send_to_rasa,
)
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
FAULT_HEADER = "X-Chat-Fault"
REPLAY_HEADER = "X-Chat-Replayed"  # the answer of an earlier attempt with the same message_id
# How long an empty reply may wait for each check (action server health, paused or not) that explains it.
_PROBE_TIMEOUT_S = 2.0

ONE_MOMENT = (
    "One moment please \u2014 I'm having trouble answering right now. Please try again in a minute. "
    'If you need a person, type "talk to a person". '
    "If you feel very unwell, don't wait for me: call your local emergency number or your treating team now."
)
URGENT_FIRST = (
    "Please get medical help now: call your local emergency number, or contact your treating team straight "
    "away. What you describe ({label}) can need urgent care. I'm having trouble right now, so no one from the "
    "team has seen your message yet. Please don't wait for a reply here."
)
SELF_HARM_FIRST = (
    "Please reach out for help right now: call your local emergency number or a suicide crisis line, or go to "
    "the nearest emergency department. I'm having trouble right now, so no one from the team has seen your "
    "message yet. If you can, tell someone near you how you are feeling and stay with them."
)


# The body as documented in OpenAPI, with the rules the route enforces (``web.chat_input``), so that clients
# and schema-driven fuzzers know what a valid message is.
_REQUEST_SCHEMA = ChatRequestPublic.model_json_schema()
_REQUEST_SCHEMA["required"] = ["sender", "message"]
_REQUEST_SCHEMA["properties"]["sender"].update(pattern=f"^{SENDER_PATTERN.pattern}$", minLength=1, maxLength=128)
_REQUEST_SCHEMA["properties"]["message"].update(minLength=1, maxLength=WebSettings.model_fields[
    "max_message_chars"].default)


def sender_hash(sender: str) -> str:
    return hashlib.sha256(sender.encode("utf-8")).hexdigest()[:12]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _rate_limited(request: Request, limiter_name: str, key: str) -> ApiError:
    limiter = getattr(request.app.state, limiter_name)
    error = ApiError(429, "rate_limited", "You are sending messages too quickly. Please wait a moment and try again.")
    error.headers = {"Retry-After": str(limiter.retry_after_s(key))}
    return error


def _hit(request: Request, limiter_name: str, key: str) -> None:
    """Count one message against ``key``; 429 when it was already over its limit."""
    if not getattr(request.app.state, limiter_name).hit(key):
        logger.info("chat rate-limited (%s)", key.split(":", 1)[0])
        raise _rate_limited(request, limiter_name, key)


def fault_reply(chat_request: ChatRequest) -> list[dict[str, Any]]:
    """The one polite message for a fault. A message that reports an urgent symptom gets the call-for-help
    words first: the bot that would normally answer it (and alert a navigator) is not reachable."""
    text = ONE_MOMENT
    try:
        from safety.urgent import category_label, detect_urgent

        finding = detect_urgent(chat_request.message)
        if finding is not None:
            first = SELF_HARM_FIRST if finding.is_self_harm else URGENT_FIRST.format(
                label=category_label(finding.category))
            text = f"{first}\n\n{ONE_MOMENT}"
    except Exception as exc:  # a fault reply must never fail; the plain one already points to emergency help
        logger.warning("urgent check in the fault reply failed (%s)", type(exc).__name__)
    return [{"recipient_id": chat_request.sender, "text": text}]


async def explain_silence(client: httpx.AsyncClient, settings: WebSettings, sender: str) -> tuple[str | None, str]:
    """Why Rasa answered nothing: ``(fault, detail)``, fault ``None`` when silence is right.

    Silence is right while a navigator holds the conversation (Rasa paused). Otherwise Rasa could not run a
    custom action: the action server is down (``actions_unavailable``) or the action failed (``no_reply``).
    When Rasa's HTTP API cannot tell whether the conversation is paused, silence is passed through."""
    timeout_s = min(settings.health_timeout_s, _PROBE_TIMEOUT_S)
    up, detail = await probe(client, action_server_health_url(settings.action_server_url), timeout_s)
    if not up:
        return "actions_unavailable", detail
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    paused = await conversation_paused(client, settings.rasa_url, token, sender, timeout_s)
    if paused is False:
        return "no_reply", "not paused"
    return None, "paused" if paused else "pause state unknown"


@router.post(
    "/chat",
    response_model=list[BotMessagePublic],
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _REQUEST_SCHEMA}}}},
    responses={code: {"model": ErrorPublic} for code in (400, 413, 415, 422, 429)},
)
async def chat(request: Request, settings: SettingsDep, client: HttpClientDep) -> JSONResponse:
    _hit(request, "chat_address_limiter", f"ip:{client_address(request)}")  # before reading any body
    try:
        check_content_type(request.headers.get("content-type"))
        raw = await read_body(request, settings.max_body_bytes)
        chat_request = parse_chat_request(raw, settings.max_message_chars)
    except ChatInputError as exc:
        status = _STATUS_BY_CODE.get(exc.code, 422)
        logger.info("chat rejected: %s (%d)", exc.code, status)
        raise ApiError(status, exc.code, exc.detail) from None
    _hit(request, "chat_sender_limiter", f"sender:{chat_request.sender}")

    who, size = sender_hash(chat_request.sender), len(chat_request.message)
    started = time.perf_counter()

    async def attempt() -> tuple[list[dict[str, Any]], str | None]:
        fault = None
        try:
            messages = await send_to_rasa(client, settings.rasa_url, chat_request.as_json(), settings.rasa_timeout_s)
        except BotUnavailable as exc:
            fault, why = "bot_unavailable", str(exc)
        except BotError as exc:
            fault, why = "bot_error", str(exc)
        else:
            if not messages:
                fault, why = await explain_silence(client, settings, chat_request.sender)
        if fault is not None:
            logger.warning("chat sender=%s len=%d fault %s (%s)", who, size, fault, why)
            return fault_reply(chat_request), fault
        return messages, None

    replays: ChatReplayCache = request.app.state.chat_replays
    (messages, fault), replayed = await replays.answer_once(chat_request.sender, chat_request.message_id, attempt)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if fault is not None:
        return JSONResponse(messages, headers={**_NO_STORE, FAULT_HEADER: fault})
    logger.info("chat sender=%s len=%d -> %d messages in %.0f ms%s", who, size, len(messages), elapsed_ms,
                " (replayed)" if replayed else "")
    return JSONResponse(messages, headers={**_NO_STORE, **({REPLAY_HEADER: "1"} if replayed else {})})
