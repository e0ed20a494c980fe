"""``GET /api/chat/messages?sender=...&after=<n>``: the website widget's way to receive a navigator's replies.

While a navigator holds a conversation, their words are bot events in Rasa's tracker (marked
``metadata.navigator``). The widget polls this route every few seconds with the index of the last event it
has seen and gets the navigator messages after it, plus the new cursor. Only navigator messages are
returned: the bot's own replies reach the widget through ``/api/chat``, so nothing is shown twice.

There is no sign-in: the sender id is the widget's unguessable random id. Only conversations of the widget's
channel (Rasa's REST channel) are served, so the guessable ids of messaging apps (Telegram chat ids ...) give
nothing away; any other conversation looks empty. Requests are rate-limited per client address and per
sender.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from web.chat_input import SENDER_PATTERN
from web.deps import HttpClientDep, SettingsDep
from web.errors import ApiError
from web.navigator.deps import MessagesLimiterDep
from web.navigator.rasa_api import WIDGET_CHANNEL, RasaApiError, fetch_tracker, navigator_messages_after
from web.navigator.schemas import LiveMessagesPublic

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/chat", tags=["chat"])


@router.get("/messages", response_model=LiveMessagesPublic)
async def live_messages(
    request: Request,
    settings: SettingsDep,
    client: HttpClientDep,
    limiter: MessagesLimiterDep,
    sender: Annotated[str, Query(min_length=1, max_length=128)],
    after: Annotated[int, Query(ge=-1, le=10_000_000)] = -1,
) -> JSONResponse:
    if not SENDER_PATTERN.fullmatch(sender):
        raise ApiError(422, "invalid_sender", "The sender id must be 1-128 letters, digits or . _ : -")
    address = request.client.host if request.client else "unknown"
    if not limiter.hit(f"ip:{address}", f"sender:{sender}"):
        error = ApiError(429, "too_many_requests", "Too many requests; please slow down.")
        error.headers = {"Retry-After": str(limiter.retry_after_s(f"ip:{address}", f"sender:{sender}"))}
        raise error
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    try:
        tracker = await fetch_tracker(client, settings.rasa_url, token, sender, settings.rasa_api_timeout_s)
    except RasaApiError as exc:
        if exc.status == 404:  # Rasa runs without its HTTP API (no --enable-api): there are no live messages
            body = LiveMessagesPublic(messages=[], cursor=after)
            return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store"})
        logger.info("live messages unavailable: %s", exc)
        raise ApiError(503, "bot_unavailable", "The assistant is not available right now.") from None
    events = tracker["events"]
    if tracker.get("latest_input_channel") != WIDGET_CHANNEL:
        body = LiveMessagesPublic(messages=[], cursor=-1)
    else:
        body = LiveMessagesPublic(messages=navigator_messages_after(events, after), cursor=len(events) - 1)
    return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store"})
