"""Telegram through Rasa's own connector (``rasa.core.channels.telegram``), with this project's additions.

Registered in the credentials file as ``channels.telegram_channel.TelegramChannel``; the webhook stays
Rasa's: ``POST /webhooks/telegram/webhook`` with Telegram's ``Update`` JSON. Added:

- the Bot API address comes from the credentials (``api_url``), so tests can use a local stand-in;
- a webhook secret (``secret_token``): given to Telegram with ``setWebhook``, and every update must carry
  it in ``X-Telegram-Bot-Api-Secret-Token`` or it is refused (Rasa's connector checks nothing);
- ``setWebhook`` runs once the server has started, inside its event loop (Rasa's runs it while the app is
  being built, which breaks when an output channel is made later, e.g. for a navigator's reply);
- the bot's own name (``getMe``) is asked once, not on every update;
- Telegram's ``/start`` (the "Start" button of a new chat) is the greeting intent, not an unknown one;
- a tapped button is acknowledged (``answerCallbackQuery``) so Telegram stops showing it as loading;
- replies split within Telegram's 4096 characters; buttons one per row when long or many; citations as
  a "Sources:" line; a reply of just a number picks that button (see ``channels.base``).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, User
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.base import NumberedChoices, OnNewMessage
from channels.choices import choices_for
from channels.text import for_text_channel, split_text

log = logging.getLogger(__name__)

TELEGRAM_API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_CHARS = 4096
MAX_CALLBACK_BYTES = 64
ONE_ROW_MAX_BUTTONS = 3
ONE_ROW_MAX_TITLE = 20
GREET_PAYLOAD = "/greet"  # the greeting intent, as the website widget sends it


class TelegramChannelOutput(TelegramOutput):
    """Rasa's Telegram output with a configurable API address and replies fitted to Telegram."""

    def __init__(self, access_token: str | None, api_url: str = TELEGRAM_API_URL) -> None:
        Bot.__init__(self, access_token, server=TelegramAPIServer.from_base(api_url))
        self._me: User | None = None

    async def get_me(self) -> User:
        if self._me is None:
            self._me = await super().get_me()
        return self._me

    async def register_webhook(self, url: str, secret_token: str | None) -> bool:
        """``setWebhook`` with the secret Telegram will send back on every update."""
        payload = {"url": url, **({"secret_token": secret_token} if secret_token else {})}
        return bool(await self.request("setWebhook", payload))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_text(text, MAX_CHARS):
            await self.send_message(recipient_id, part)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     button_type: str | None = None, **kwargs: Any) -> None:
        parts = split_text(text, MAX_CHARS) or ["Please choose:"]
        for part in parts[:-1]:
            await self.send_message(recipient_id, part)
        await self.send_message(recipient_id, parts[-1], reply_markup=keyboard(buttons))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        text, rest = for_text_channel(json_message)
        if text:
            await self.send_text_message(recipient_id, text)
        if rest:
            await super().send_custom_json(recipient_id, rest, **kwargs)


def keyboard(buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup:
    """An inline keyboard: one row for a few short buttons, else one button per row.

    A payload too long for Telegram's 64-byte ``callback_data`` is sent as the button's number, which the
    webhook maps back to the payload.
    """
    markup = InlineKeyboardMarkup()
    choices = choices_for(buttons)
    keys = [
        InlineKeyboardButton(
            choice.title,
            callback_data=choice.payload if len(choice.payload.encode()) <= MAX_CALLBACK_BYTES else choice.key,
        )
        for choice in choices
    ]
    if len(keys) <= ONE_ROW_MAX_BUTTONS and all(len(c.title) <= ONE_ROW_MAX_TITLE for c in choices):
        markup.row(*keys)
    else:
        for key in keys:
            markup.row(key)
    return markup


class TelegramChannel(NumberedChoices, TelegramInput):
    """Rasa's Telegram input with a webhook secret, a configurable API address and numbered replies."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            credentials.get("access_token"), credentials.get("verify"), credentials.get("webhook_url"),
            api_url=credentials.get("api_url") or TELEGRAM_API_URL, secret_token=credentials.get("secret_token"),
        )

    def __init__(self, access_token: str | None, verify: str | None, webhook_url: str | None,
                 debug_mode: bool = True, api_url: str = TELEGRAM_API_URL, secret_token: str | None = None) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode)
        self.api_url = api_url
        self.secret_token = secret_token or None
        self._output: TelegramChannelOutput | None = None

    def get_output_channel(self) -> TelegramChannelOutput:
        """One output per server (one HTTP session), used by the webhook and by navigator replies."""
        if self._output is None:
            self._output = TelegramChannelOutput(self.access_token, self.api_url)
        return self._output

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(self.with_numbered_choices(self._start_is_greet(on_new_message)))
        self.remember_app(blueprint)
        blueprint.middleware("request")(self._check_update)
        blueprint.listener("after_server_start")(self._set_webhook)
        blueprint.listener("before_server_stop")(self._close)
        return blueprint

    @staticmethod
    def _start_is_greet(on_new_message: OnNewMessage) -> OnNewMessage:
        """Telegram's "Start" button sends ``/start`` (``/start <code>`` from a link): the bot's greeting."""

        async def handle(message: UserMessage) -> Any:
            if message.text and (message.text == "/start" or message.text.startswith("/start ")):
                message.text = GREET_PAYLOAD
            return await on_new_message(message)

        return handle

    async def _check_update(self, request: Request) -> HTTPResponse | None:
        """Refuses updates without the webhook secret; acknowledges tapped buttons."""
        if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
            return None
        if self.secret_token and not hmac.compare_digest(
            request.headers.get(SECRET_HEADER, "").encode(), self.secret_token.encode()
        ):
            log.warning("Telegram update refused: wrong or missing %s header", SECRET_HEADER)
            return response.text("forbidden", status=403)
        try:
            update = request.json if isinstance(request.json, dict) else {}
        except Exception:  # not JSON: Rasa's handler answers it
            update = {}
        callback_id = (update.get("callback_query") or {}).get("id")
        if callback_id:
            try:
                await self.get_output_channel().answer_callback_query(str(callback_id))
            except TelegramAPIError as error:
                log.warning("could not acknowledge a tapped Telegram button: %s", type(error).__name__)
        return None

    async def _set_webhook(self, _app: Sanic, _loop: Any) -> None:
        if not self.webhook_url:
            log.info("Telegram: no webhook_url; the webhook is left as it is registered at Telegram")
            return
        try:
            done = await self.get_output_channel().register_webhook(self.webhook_url, self.secret_token)
        except TelegramAPIError as error:
            log.error("Telegram: setWebhook failed (%s); updates may not arrive", type(error).__name__)
            return
        log.info("Telegram: webhook %s", "registered" if done else "NOT registered")

    async def _close(self, _app: Sanic, _loop: Any) -> None:
        """Closes the HTTP session (aiogram's ``Bot.close`` warns that its meaning changes in aiogram 3)."""
        session = getattr(self._output, "_session", None)
        if session is not None and not session.closed:
            await session.close()
