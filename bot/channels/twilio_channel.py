"""SMS and WhatsApp through Twilio, with Rasa's own connector (``rasa.core.channels.twilio``).

Registered in the credentials file as ``channels.twilio_channel.TwilioChannel``; the webhook stays Rasa's:
``POST /webhooks/twilio/webhook``, form-encoded ``From``/``To``/``Body``/``MessageSid``. One webhook serves
both: WhatsApp senders arrive as ``whatsapp:+15551234567`` and are answered from the WhatsApp number,
SMS senders from the SMS number. Added:

- every request must carry a valid ``X-Twilio-Signature`` for the public ``webhook_url`` (the address
  configured at Twilio; Rasa's connector checks nothing), else it is refused with 403;
- the REST API address comes from the credentials (``api_url``), so tests can use a local stand-in;
- sending runs in a worker thread (the Twilio client blocks) with a timeout;
- buttons become a numbered list and a reply of just the number picks that button; texts split within
  1600 characters for SMS and 4096 for WhatsApp; citations as a "Sources:" line.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core.channels.channel import InputChannel
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator

from channels.base import NumberedChoices, OnNewMessage
from channels.choices import render_numbered
from channels.text import for_text_channel, split_text

log = logging.getLogger(__name__)
# Twilio's client logs every request's URL and headers at INFO (ten lines per SMS); problems are logged here.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

TWILIO_API_URL = "https://api.twilio.com"
WHATSAPP_PREFIX = "whatsapp:"
SMS_MAX_CHARS = 1600
WHATSAPP_MAX_CHARS = 4096
SEND_TIMEOUT_S = 15.0


class ApiAddressHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, sending what is meant for ``https://api.twilio.com`` to ``base_url`` instead."""

    def __init__(self, base_url: str, timeout: float = SEND_TIMEOUT_S) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(TWILIO_API_URL):
            url = self.base_url + url[len(TWILIO_API_URL):]
        return super().request(method, url, *args, **kwargs)


class TwilioChannelOutput(TwilioOutput):
    """Rasa's Twilio output, answering SMS from the SMS number and WhatsApp from the WhatsApp number."""

    def __init__(self, account_sid: str | None, auth_token: str | None, sms_number: str | None,
                 whatsapp_number: str | None = None, api_url: str = TWILIO_API_URL) -> None:
        super().__init__(account_sid, auth_token, sms_number)
        self.whatsapp_number = whatsapp_number
        self.http_client = ApiAddressHttpClient(api_url)

    def sender_for(self, recipient_id: str) -> tuple[str | None, int]:
        """The number to send from and the longest text allowed, by the recipient's channel."""
        if recipient_id.startswith(WHATSAPP_PREFIX):
            number = self.whatsapp_number
            if number and not number.startswith(WHATSAPP_PREFIX):
                number = WHATSAPP_PREFIX + number
            return number, WHATSAPP_MAX_CHARS
        return self.twilio_number, SMS_MAX_CHARS

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        sender, limit = self.sender_for(recipient_id)
        for part in split_text(text, limit):
            await self._send_message({"to": recipient_id, "from_": sender, "body": part})

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, render_numbered(text, buttons))

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        sender, _limit = self.sender_for(recipient_id)
        await self._send_message({"to": recipient_id, "from_": sender, "media_url": [image]})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        text, rest = for_text_channel(json_message)
        if text:
            await self.send_text_message(recipient_id, text)
        if rest:
            rest.setdefault("from_", self.sender_for(recipient_id)[0])
            await super().send_custom_json(recipient_id, rest, **kwargs)

    async def _send_message(self, message_data: dict[str, Any]) -> Any:
        if not message_data.get("from_") and not message_data.get("messaging_service_sid"):
            log.error("Twilio: no number configured to answer %s messages from",
                      "WhatsApp" if str(message_data.get("to")).startswith(WHATSAPP_PREFIX) else "SMS")
            return None
        try:
            return await asyncio.to_thread(self.messages.create, **message_data)
        except TwilioRestException as error:
            log.error("Twilio refused a message: HTTP %s, code %s", error.status, error.code)
        except Exception as error:  # network errors: the conversation goes on, the reply is lost and logged
            log.error("Twilio could not be reached: %s", type(error).__name__)
        return None


class TwilioChannel(NumberedChoices, TwilioInput):
    """Rasa's Twilio input with signature checks, SMS and WhatsApp numbers and numbered replies."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            credentials.get("account_sid"), credentials.get("auth_token"), credentials.get("twilio_number"),
            whatsapp_number=credentials.get("whatsapp_number"), webhook_url=credentials.get("webhook_url"),
            api_url=credentials.get("api_url") or TWILIO_API_URL,
        )

    def __init__(self, account_sid: str | None, auth_token: str | None, twilio_number: str | None,
                 debug_mode: bool = True, whatsapp_number: str | None = None, webhook_url: str | None = None,
                 api_url: str = TWILIO_API_URL) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode)
        self.whatsapp_number = whatsapp_number
        self.webhook_url = webhook_url
        self.api_url = api_url

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(self.with_numbered_choices(on_new_message))
        self.remember_app(blueprint)
        blueprint.middleware("request")(self._check_signature)
        return blueprint

    async def _check_signature(self, request: Request) -> HTTPResponse | None:
        """Refuses a webhook request whose ``X-Twilio-Signature`` is not Twilio's for our auth token."""
        if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
            return None
        url = self.webhook_url or request.url
        signature = request.headers.get("X-Twilio-Signature", "")
        if not self.auth_token or not RequestValidator(self.auth_token).validate(url, request.form, signature):
            log.warning("Twilio request refused: missing or invalid X-Twilio-Signature")
            return response.text("forbidden", status=403)
        return None

    def get_output_channel(self) -> TwilioChannelOutput:
        return TwilioChannelOutput(self.account_sid, self.auth_token, self.twilio_number,
                                   self.whatsapp_number, self.api_url)
