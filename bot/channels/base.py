"""What every messaging channel of this project adds to Rasa's connector: a reply of just a number picks
that choice of the bot's last message.

The last message's buttons are read from the tracker store (every Rasa server shares it), not kept in
memory, so the reply may reach any Rasa server behind the load balancer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, Sanic

from channels.choices import buttons_awaiting_reply, is_number_reply, picked_payload

log = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class NumberedChoices:
    """Mixin for an input channel: wraps ``on_new_message`` so that "2" becomes the second button's payload."""

    _app: Sanic | None = None

    def with_numbered_choices(self, on_new_message: OnNewMessage) -> OnNewMessage:
        async def handle(message: UserMessage) -> Any:
            payload = await self.choice_payload(message)
            if payload is not None:
                log.debug("a numbered reply picked a button of the last message")
                message.text = payload
            return await on_new_message(message)

        return handle

    def remember_app(self, blueprint: Blueprint) -> None:
        """Keeps the Sanic app (and so Rasa's agent) once the server starts."""

        async def remember(app: Sanic, _loop: Any) -> None:
            self._app = app

        blueprint.listener("before_server_start")(remember)

    async def choice_payload(self, message: UserMessage) -> str | None:
        """The payload the numbered reply picks, or None (not a number, no buttons pending, no such number)."""
        text = message.text or ""
        if not is_number_reply(text) or self._app is None:
            return None
        agent = getattr(self._app.ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            return None
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        if tracker is None:
            return None
        events = (event.as_dict() for event in reversed(tracker.events))
        return picked_payload(text, buttons_awaiting_reply(events))
