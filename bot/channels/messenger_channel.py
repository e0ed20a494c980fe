"""Facebook Messenger through Rasa's own connector (``rasa.core.channels.facebook``).

Registered in the credentials file as ``channels.messenger_channel.MessengerChannel``; the webhook and
its payloads stay Rasa's (name ``facebook``): ``GET /webhooks/facebook/webhook`` answers Meta's
verification (``hub.verify_token``, ``hub.challenge``) and ``POST /webhooks/facebook/webhook`` takes the
``{"object": "page", "entry": [{"messaging": [...]}]}`` JSON, checked against the app secret. Added:

- the Graph API address and version come from the credentials (``graph_url``, ``api_version``), so tests
  can use a local stand-in (Rasa's client is fixed to ``https://graph.facebook.com/v2.12``);
- ``X-Hub-Signature-256`` (SHA-256) is checked when present, else Rasa's ``X-Hub-Signature`` (SHA-1),
  compared in constant time; Graph calls carry ``appsecret_proof`` and have a timeout;
- buttons become quick replies (up to 13, titles up to 20 characters), or a numbered list with number
  quick replies when they do not fit; texts split within 2000 characters; citations as a "Sources:" line.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

import requests
from fbmessenger import MessengerClient
from fbmessenger.elements import Text as FBText
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput, Messenger, MessengerBot
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.base import NumberedChoices, OnNewMessage
from channels.choices import choices_for, render_numbered
from channels.text import for_text_channel, split_text

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
GRAPH_API_VERSION = "25.0"
MAX_CHARS = 2000
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
MAX_QUICK_REPLY_PAYLOAD = 1000
GRAPH_TIMEOUT_S = 15.0


class _TimeoutSession(requests.Session):
    """A session whose requests time out (fbmessenger passes ``timeout=None``)."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = GRAPH_TIMEOUT_S
        return super().request(*args, **kwargs)


def graph_client(page_access_token: str, app_secret: str | None, graph_url: str = GRAPH_URL,
                 api_version: str = GRAPH_API_VERSION) -> MessengerClient:
    """fbmessenger's client for the Send API at ``graph_url``/v``api_version``."""
    client = MessengerClient(page_access_token, session=_TimeoutSession(), api_version=api_version,
                             app_secret=app_secret or None)
    client.graph_url = f"{graph_url.rstrip('/')}/v{api_version}"
    return client


class MessengerChannelBot(MessengerBot):
    """Rasa's Messenger output with replies fitted to Messenger."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_text(text, MAX_CHARS):
            self.send(recipient_id, FBText(text=part))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        choices = choices_for(buttons)
        fits = len(choices) <= MAX_QUICK_REPLIES and all(len(c.title) <= MAX_QUICK_REPLY_TITLE for c in choices)
        if not fits:
            text = render_numbered(text, buttons)
        quick_replies = [
            {"content_type": "text", "title": choice.title if fits else choice.key,
             "payload": choice.payload if len(choice.payload) <= MAX_QUICK_REPLY_PAYLOAD else choice.key}
            for choice in choices[:MAX_QUICK_REPLIES]
        ]
        parts = split_text(text, MAX_CHARS) or ["Please choose:"]
        for part in parts[:-1]:
            self.send(recipient_id, FBText(text=part))
        self.messenger_client.send({"text": parts[-1], "quick_replies": quick_replies}, recipient_id, "RESPONSE")

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_custom_json(self, recipient_id: str, json_message: Any, **kwargs: Any) -> None:
        text, rest = for_text_channel(json_message)
        if text:
            await self.send_text_message(recipient_id, text)
        if rest:
            await super().send_custom_json(recipient_id, rest, **kwargs)


class ChannelMessenger(Messenger):
    """Rasa's webhook handler, answering through :class:`MessengerChannelBot` and the configured client."""

    def __init__(self, client: MessengerClient, on_new_message: OnNewMessage) -> None:
        self.on_new_message = on_new_message
        self.client = client
        self.last_message: dict[str, Any] = {}

    async def _handle_user_message(self, text: str, sender_id: str, metadata: dict[str, Any] | None) -> None:
        out_channel = MessengerChannelBot(self.client)
        await out_channel.send_action(sender_id, sender_action="mark_seen")
        message = UserMessage(text, out_channel, sender_id, input_channel=self.name(), metadata=metadata)
        await out_channel.send_action(sender_id, sender_action="typing_on")
        try:
            await self.on_new_message(message)
        except Exception:
            log.exception("Exception when trying to handle webhook for facebook message.")
        finally:
            await out_channel.send_action(sender_id, sender_action="typing_off")


class MessengerChannel(NumberedChoices, FacebookInput):
    """Rasa's Facebook input with a configurable Graph API, SHA-256 signatures and numbered replies."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            credentials.get("verify"), credentials.get("secret"), credentials.get("page-access-token"),
            graph_url=credentials.get("graph_url") or GRAPH_URL,
            api_version=str(credentials.get("api_version") or GRAPH_API_VERSION),
        )

    def __init__(self, fb_verify: str, fb_secret: str, fb_access_token: str, graph_url: str = GRAPH_URL,
                 api_version: str = GRAPH_API_VERSION) -> None:
        super().__init__(fb_verify, fb_secret, fb_access_token)
        self.graph_url = graph_url
        self.api_version = api_version

    def client(self) -> MessengerClient:
        return graph_client(self.fb_access_token, self.fb_secret, self.graph_url, self.api_version)

    def get_output_channel(self) -> MessengerChannelBot:
        return MessengerChannelBot(self.client())

    @staticmethod
    def validate_hub_signature(app_secret: str, request_payload: bytes, hub_signature_header: str) -> bool:
        """``sha256=<hex>`` or ``sha1=<hex>`` of the body with the app secret, compared in constant time."""
        method, _, signature = (hub_signature_header or "").partition("=")
        if method not in ("sha1", "sha256") or not signature or not app_secret:
            return False
        expected = hmac.new(app_secret.encode(), request_payload, getattr(hashlib, method)).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode())

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Rasa's three routes, unchanged but for the client the handler answers with."""
        handle = self.with_numbered_choices(on_new_message)
        fb_webhook = Blueprint("fb_webhook", __name__)
        self.remember_app(fb_webhook)

        @fb_webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @fb_webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            given = request.args.get("hub.verify_token", "")
            if self.fb_verify and hmac.compare_digest(given.encode(), self.fb_verify.encode()):
                return response.text(request.args.get("hub.challenge"))
            log.warning("Invalid fb verify token! Make sure it matches the webhook settings of the Meta app.")
            return response.text("failure, invalid token")

        @fb_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            signature = request.headers.get("X-Hub-Signature-256") or request.headers.get("X-Hub-Signature") or ""
            if not self.validate_hub_signature(self.fb_secret, request.body, signature):
                log.warning("Wrong fb signature! Make sure the app secret matches the Meta app's settings.")
                return response.text("not validated")
            messenger = ChannelMessenger(self.client(), handle)
            await messenger.handle(request.json, self.get_metadata(request))
            return response.text("success")

        return fb_webhook
