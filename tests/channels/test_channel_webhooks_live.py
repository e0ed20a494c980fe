"""Each messaging channel end to end: the provider's real inbound webhook format is posted to the running
Rasa server (started by ``trialbot run`` with the channels switched on by environment variables), the
patient's message is checked in the conversation's tracker (Rasa's HTTP API), and the reply is checked
where it went: a local stand-in for the provider's API (``providers.py``), in the provider's format.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from providers import ProviderConfig, ProviderStandIn, Recorded

from actions.prescreening import ECOG_BUTTONS
from trialbot.settings import REPO_ROOT
from trialbot.stack import Stack, StackError, running_stack

pytestmark = pytest.mark.e2e

RASA_TOKEN = "rasa-api-token-for-channel-tests-0123456789"
TELEGRAM_TOKEN = "987654321:AAF-channel-tests-token_abcdefghijkl"
TELEGRAM_SECRET = "telegram-webhook-secret-for-tests"
TELEGRAM_BOT = "trial_helper_test_bot"
TWILIO_SID = "AC" + "7" * 32
TWILIO_TOKEN = "twilio-auth-token-for-channel-tests"
SMS_NUMBER = "+15550001111"
WHATSAPP_NUMBER = "whatsapp:+14155238886"
MESSENGER_TOKEN = "EAAB-page-token-for-channel-tests"
MESSENGER_SECRET = "messenger-app-secret-for-tests"
MESSENGER_VERIFY = "messenger-verify-token-for-tests"
PUBLIC = "https://bot.example.org"  # the address the providers call, in front of Rasa (signed URLs use it)
SECRETS = (TELEGRAM_TOKEN, TELEGRAM_SECRET, TWILIO_TOKEN, MESSENGER_TOKEN, MESSENGER_SECRET, MESSENGER_VERIFY,
           RASA_TOKEN)
GREETING_BUTTONS = [("What is this trial?", "What is this trial about?"), ("Who can join?", "Who can join the trial?"),
                    ("Talk to a person", "/request_human")]


@pytest.fixture(scope="module")
def providers() -> Iterator[ProviderStandIn]:
    stand_in = ProviderStandIn(ProviderConfig(TELEGRAM_TOKEN, TELEGRAM_BOT, TWILIO_SID, TWILIO_TOKEN,
                                              MESSENGER_TOKEN)).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def stack(providers: ProviderStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "TRIALBOT_RASA_TOKEN": RASA_TOKEN,
        "TRIALBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN, "TRIALBOT_TELEGRAM_BOT_NAME": TELEGRAM_BOT,
        "TRIALBOT_TELEGRAM_WEBHOOK_URL": f"{PUBLIC}/webhooks/telegram/webhook",
        "TRIALBOT_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET, "TRIALBOT_TELEGRAM_API_URL": f"{providers.url}/telegram",
        "TRIALBOT_TWILIO_ACCOUNT_SID": TWILIO_SID, "TRIALBOT_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TRIALBOT_TWILIO_SMS_NUMBER": SMS_NUMBER, "TRIALBOT_TWILIO_WHATSAPP_NUMBER": WHATSAPP_NUMBER,
        "TRIALBOT_TWILIO_WEBHOOK_URL": f"{PUBLIC}/webhooks/twilio/webhook",
        "TRIALBOT_TWILIO_API_URL": f"{providers.url}/twilio",
        "TRIALBOT_MESSENGER_PAGE_TOKEN": MESSENGER_TOKEN, "TRIALBOT_MESSENGER_APP_SECRET": MESSENGER_SECRET,
        "TRIALBOT_MESSENGER_VERIFY_TOKEN": MESSENGER_VERIFY, "TRIALBOT_MESSENGER_GRAPH_URL": f"{providers.url}/graph",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    try:
        with running_stack(tmp_path_factory.mktemp("channel-stack"), extra_env=env) as running:
            yield running
    except StackError as exc:
        pytest.fail(str(exc))


# ---- helpers --------------------------------------------------------------------------------------------
def tracker(stack: Stack, sender_id: str) -> dict[str, Any]:
    response = httpx.get(f"{stack.rasa_url}/conversations/{sender_id}/tracker",
                         params={"token": RASA_TOKEN, "include_events": "ALL"}, timeout=10)
    response.raise_for_status()
    return response.json()


def user_texts(stack: Stack, sender_id: str) -> list[str]:
    return [e.get("text") for e in tracker(stack, sender_id)["events"] if e["event"] == "user"]


def navigator_reply(stack: Stack, sender_id: str, text: str, buttons: list[dict[str, str]] | None = None) -> None:
    """What the console does for a navigator's reply: a bot event Rasa delivers on the latest channel."""
    event = {"event": "bot", "text": text, "metadata": {"navigator": True}, "timestamp": time.time(),
             **({"data": {"buttons": buttons}} if buttons else {})}
    response = httpx.post(
        f"{stack.rasa_url}/conversations/{sender_id}/tracker/events",
        params={"token": RASA_TOKEN, "execute_side_effects": "true", "output_channel": "latest",
                "include_events": "NONE"},
        json=[event], timeout=30)
    assert response.status_code == 200, response.text


def twilio_signature(url: str, params: dict[str, str], auth_token: str) -> str:
    """Twilio's documented scheme: HMAC-SHA1 of the URL followed by each parameter name and value, sorted."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def twilio_post(stack: Stack, params: dict[str, str], signature: str | None = None) -> httpx.Response:
    url = f"{PUBLIC}/webhooks/twilio/webhook"
    return httpx.post(f"{stack.rasa_url}/webhooks/twilio/webhook", content=urlencode(params),
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "X-Twilio-Signature": signature or twilio_signature(url, params, TWILIO_TOKEN)},
                      timeout=60)


def twilio_inbound(sender: str, to: str, body: str, sid: str) -> dict[str, str]:
    return {"ToCountry": "US", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received",
            "Body": body, "To": to, "NumSegments": "1", "MessageSid": sid, "AccountSid": TWILIO_SID,
            "From": sender, "ApiVersion": "2010-04-01"}


def sent_sms(providers: ProviderStandIn, to: str) -> list[Recorded]:
    return providers.matching(lambda r: r.path.endswith("/Messages.json") and r.form.get("To") == to)


def telegram_update(update_id: int, chat_id: int, text: str | None = None,
                    callback: tuple[str, str] | None = None) -> dict[str, Any]:
    person = {"id": chat_id, "is_bot": False, "first_name": "Ana", "language_code": "en"}
    chat = {"id": chat_id, "first_name": "Ana", "type": "private"}
    if callback:
        callback_id, data = callback
        return {"update_id": update_id, "callback_query": {
            "id": callback_id, "from": person, "chat_instance": "-7000000000000000001", "data": data,
            "message": {"message_id": 2, "from": {"id": 987654321, "is_bot": True, "first_name": "Trial helper",
                                                  "username": TELEGRAM_BOT},
                        "chat": chat, "date": 1_700_000_001, "text": "What would you like to know?"}}}
    return {"update_id": update_id, "message": {"message_id": update_id, "from": person, "chat": chat,
                                                "date": 1_700_000_000, "text": text}}


def telegram_post(stack: Stack, update: dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return httpx.post(f"{stack.rasa_url}/webhooks/telegram/webhook", json=update, headers=headers, timeout=60)


def telegram_sent(providers: ProviderStandIn, chat_id: int) -> list[Recorded]:
    return providers.matching(lambda r: r.path.endswith("/sendMessage") and r.form.get("chat_id") == str(chat_id))


def messenger_event(psid: str, text: str | None = None, quick_reply: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": f"m_{psid}_{time.time_ns()}", "text": text}
    if quick_reply:
        message["quick_reply"] = {"payload": quick_reply}
    return {"object": "page", "entry": [{"id": "104000000000001", "time": 1_700_000_000_000, "messaging": [
        {"sender": {"id": psid}, "recipient": {"id": "104000000000001"}, "timestamp": 1_700_000_000_000,
         "message": message}]}]}


def messenger_post(stack: Stack, payload: dict[str, Any], secret: str = MESSENGER_SECRET,
                   header: str = "X-Hub-Signature-256") -> httpx.Response:
    body = json.dumps(payload).encode()
    method = hashlib.sha256 if header.endswith("256") else hashlib.sha1
    signature = ("sha256=" if header.endswith("256") else "sha1=") + hmac.new(secret.encode(), body, method).hexdigest()
    return httpx.post(f"{stack.rasa_url}/webhooks/facebook/webhook", content=body,
                      headers={"Content-Type": "application/json", header: signature}, timeout=60)


def graph_sent(providers: ProviderStandIn, psid: str) -> list[Recorded]:
    return providers.matching(lambda r: r.path.endswith("/me/messages") and (r.json or {}).get(
        "recipient", {}).get("id") == psid)


# ---- Telegram -------------------------------------------------------------------------------------------
def test_telegram_webhook_is_registered_with_its_secret_at_start(stack: Stack, providers: ProviderStandIn) -> None:
    registered = providers.wait_for(lambda r: r.path.endswith("/setWebhook"))
    assert registered, "Rasa did not call setWebhook"
    assert registered[-1].form == {"url": f"{PUBLIC}/webhooks/telegram/webhook", "secret_token": TELEGRAM_SECRET}


def test_telegram_message_reaches_the_bot_and_the_reply_has_an_inline_keyboard(
        stack: Stack, providers: ProviderStandIn) -> None:
    chat_id = 700001
    response = telegram_post(stack, telegram_update(1001, chat_id, "hello"))
    assert response.status_code == 200 and response.text == "success"
    conversation = tracker(stack, str(chat_id))
    assert conversation["latest_input_channel"] == "telegram"
    assert user_texts(stack, str(chat_id)) == ["hello"]
    sent = telegram_sent(providers, chat_id)
    assert sent and "automated assistant" in sent[0].form["text"]
    keyboard = json.loads(sent[-1].form["reply_markup"])["inline_keyboard"]
    assert [(b["text"], b["callback_data"]) for row in keyboard for b in row] == GREETING_BUTTONS
    assert len(keyboard) == 1  # three short buttons fit one row


def test_telegram_start_command_gets_the_greeting(stack: Stack, providers: ProviderStandIn) -> None:
    chat_id = 700006
    assert telegram_post(stack, telegram_update(6001, chat_id, "/start")).status_code == 200
    users = [e for e in tracker(stack, str(chat_id))["events"] if e["event"] == "user"]
    assert users[-1]["parse_data"]["intent"]["name"] == "greet"
    assert "automated assistant" in telegram_sent(providers, chat_id)[0].form["text"]


def test_telegram_tapped_button_sends_its_payload_and_is_acknowledged(
        stack: Stack, providers: ProviderStandIn) -> None:
    chat_id = 700002
    telegram_post(stack, telegram_update(2001, chat_id, "hello"))
    before = len(telegram_sent(providers, chat_id))
    response = telegram_post(stack, telegram_update(2002, chat_id, callback=("cb-700002", "Who can join the trial?")))
    assert response.status_code == 200
    assert user_texts(stack, str(chat_id)) == ["hello", "Who can join the trial?"]
    acknowledged = providers.matching(lambda r: r.path.endswith("/answerCallbackQuery"))
    assert any(r.form.get("callback_query_id") == "cb-700002" for r in acknowledged)
    replies = [r.form["text"] for r in telegram_sent(providers, chat_id)[before:]]
    assert replies, "no answer was sent"
    assert any(text.startswith("Sources: ") for text in replies), replies  # the answer's citations


def test_telegram_update_without_the_secret_is_refused(stack: Stack, providers: ProviderStandIn) -> None:
    chat_id = 700003
    assert telegram_post(stack, telegram_update(3001, chat_id, "hello"), secret=None).status_code == 403
    assert telegram_post(stack, telegram_update(3002, chat_id, "hello"), secret="wrong-secret").status_code == 403
    assert user_texts(stack, str(chat_id)) == []
    assert telegram_sent(providers, chat_id) == []


def test_telegram_long_navigator_reply_is_split_within_4096_characters(
        stack: Stack, providers: ProviderStandIn) -> None:
    chat_id = 700004
    telegram_post(stack, telegram_update(4001, chat_id, "hello"))
    before = len(telegram_sent(providers, chat_id))
    text = "\n\n".join(f"Paragraph {n}. " + "The navigator explains the visit schedule in detail. " * 12
                       for n in range(10))
    navigator_reply(stack, str(chat_id), text)
    parts = [r.form["text"] for r in telegram_sent(providers, chat_id)[before:]]
    assert len(parts) == 2 and all(len(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == text.split()


# ---- Twilio: SMS and WhatsApp ----------------------------------------------------------------------------
def test_the_test_signature_is_twilios_own() -> None:
    """The signature the tests compute equals twilio's RequestValidator's (the library Twilio publishes)."""
    params = twilio_inbound("+15557650000", SMS_NUMBER, "hello", "SM1")
    url = f"{PUBLIC}/webhooks/twilio/webhook"
    code = ("import json,sys; from twilio.request_validator import RequestValidator as V; a=json.loads(sys.argv[1]); "
            "print(V(a[2]).compute_signature(a[0], a[1]))")
    done = subprocess.run([str(REPO_ROOT / ".venv-rasa" / "bin" / "python"), "-c", code,
                           json.dumps([url, params, TWILIO_TOKEN])], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == twilio_signature(url, params, TWILIO_TOKEN)


def test_sms_reaches_the_bot_and_buttons_become_numbered_choices(stack: Stack, providers: ProviderStandIn) -> None:
    patient = "+15557650001"
    response = twilio_post(stack, twilio_inbound(patient, SMS_NUMBER, "hello", "SM0001"))
    assert response.status_code == 204
    conversation = tracker(stack, patient)
    assert conversation["latest_input_channel"] == "twilio"
    assert user_texts(stack, patient) == ["hello"]
    sent = sent_sms(providers, patient)
    assert sent and all(r.form["From"] == SMS_NUMBER and len(r.form["Body"]) <= 1600 for r in sent)
    assert sent[-1].form["Body"].endswith(
        "Reply with a number:\n1. What is this trial?\n2. Who can join?\n3. Talk to a person")
    before = len(sent)
    assert twilio_post(stack, twilio_inbound(patient, SMS_NUMBER, "2", "SM0002")).status_code == 204
    assert user_texts(stack, patient) == ["hello", "Who can join the trial?"]  # "2" picked the second choice
    replies = [r.form["Body"] for r in sent_sms(providers, patient)[before:]]
    assert any(body.startswith("Sources: ") for body in replies), replies


def test_sms_prescreening_continues_with_numbered_answers(stack: Stack, providers: ProviderStandIn) -> None:
    patient = "+15557650002"
    twilio_post(stack, twilio_inbound(patient, SMS_NUMBER, "check if I can join", "SM0003"))
    consent = sent_sms(providers, patient)[-1].form["Body"]
    assert "Do you agree to answer these questions?" in consent and "\n1. Yes, I agree" in consent
    before = len(sent_sms(providers, patient))
    twilio_post(stack, twilio_inbound(patient, SMS_NUMBER, "1", "SM0004"))
    assert user_texts(stack, patient)[-1] == "yes"
    conversation = tracker(stack, patient)
    assert conversation["active_loop"].get("name") == "prescreening_form"
    assert conversation["slots"]["screening_consent"] is True
    question = " ".join(r.form["Body"] for r in sent_sms(providers, patient)[before:])
    assert "Question 1 of" in question


def test_whatsapp_reaches_the_bot_and_is_answered_from_the_whatsapp_number(
        stack: Stack, providers: ProviderStandIn) -> None:
    patient = "whatsapp:+15557650003"
    response = twilio_post(stack, twilio_inbound(patient, WHATSAPP_NUMBER, "hello", "SM0005"))
    assert response.status_code == 204
    assert user_texts(stack, patient) == ["hello"]
    sent = sent_sms(providers, patient)
    assert sent and all(r.form["From"] == WHATSAPP_NUMBER for r in sent)
    assert "1. What is this trial?" in sent[-1].form["Body"]


def test_twilio_request_with_a_bad_signature_is_refused(stack: Stack, providers: ProviderStandIn) -> None:
    patient = "+15557650004"
    params = twilio_inbound(patient, SMS_NUMBER, "hello", "SM0006")
    assert twilio_post(stack, params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    forged = twilio_signature(f"{PUBLIC}/webhooks/twilio/webhook", params, "someone-elses-auth-token")
    assert twilio_post(stack, params, signature=forged).status_code == 403
    assert user_texts(stack, patient) == [] and sent_sms(providers, patient) == []


def test_long_navigator_replies_split_within_sms_and_whatsapp_limits(
        stack: Stack, providers: ProviderStandIn) -> None:
    line = ("Your next visit includes a scan and blood tests. " * 6).strip()
    text = "\n".join(f"Line {n}: {line}" for n in range(16))
    assert 4096 < len(text) < 8000
    for patient, to, limit in (("+15557650005", SMS_NUMBER, 1600), ("whatsapp:+15557650006", WHATSAPP_NUMBER, 4096)):
        twilio_post(stack, twilio_inbound(patient, to, "hello", f"SM{patient[-4:]}"))
        before = len(sent_sms(providers, patient))
        navigator_reply(stack, patient, text)
        parts = [r.form["Body"] for r in sent_sms(providers, patient)[before:]]
        assert len(parts) >= 2 and all(len(p) <= limit for p in parts)
        assert "\n".join(parts) == text  # split at line ends: nothing lost, nothing repeated


# ---- Facebook Messenger --------------------------------------------------------------------------------
def test_messenger_webhook_verification(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/facebook/webhook"
    ok = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": MESSENGER_VERIFY,
                                "hub.challenge": "1158201444"}, timeout=10)
    assert ok.text == "1158201444"
    wrong = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
                      timeout=10)
    assert wrong.text != "1"


def test_messenger_message_reaches_the_bot_and_buttons_become_quick_replies(
        stack: Stack, providers: ProviderStandIn) -> None:
    psid = "2900000000000001"
    response = messenger_post(stack, messenger_event(psid, "hello"))
    assert response.text == "success"
    conversation = tracker(stack, psid)
    assert conversation["latest_input_channel"] == "facebook"
    assert user_texts(stack, psid) == ["hello"]
    sent = graph_sent(providers, psid)
    actions = [r.json["sender_action"] for r in sent if "sender_action" in r.json]
    assert actions == ["mark_seen", "typing_on", "typing_off"]
    messages = [r for r in sent if "message" in r.json]
    assert messages and all(r.json["messaging_type"] == "RESPONSE" for r in messages)
    last = messages[-1].json["message"]
    assert "automated assistant" in last["text"]
    assert [(q["title"], q["payload"]) for q in last["quick_replies"]] == GREETING_BUTTONS
    proof = hmac.new(MESSENGER_SECRET.encode(), MESSENGER_TOKEN.encode(), hashlib.sha256).hexdigest()
    assert messages[-1].query == {"access_token": MESSENGER_TOKEN, "appsecret_proof": proof}


def test_messenger_quick_reply_and_sha1_signature(stack: Stack, providers: ProviderStandIn) -> None:
    psid = "2900000000000002"
    messenger_post(stack, messenger_event(psid, "hello"), header="X-Hub-Signature")
    before = len(graph_sent(providers, psid))
    response = messenger_post(stack, messenger_event(psid, "Who can join?", quick_reply="Who can join the trial?"),
                              header="X-Hub-Signature")
    assert response.text == "success"
    assert user_texts(stack, psid) == ["hello", "Who can join the trial?"]
    texts = [r.json["message"]["text"] for r in graph_sent(providers, psid)[before:] if "message" in r.json]
    assert any(text.startswith("Sources: ") for text in texts), texts


def test_messenger_request_with_a_wrong_signature_is_ignored(stack: Stack, providers: ProviderStandIn) -> None:
    psid = "2900000000000003"
    response = messenger_post(stack, messenger_event(psid, "hello"), secret="not-the-app-secret")
    assert response.text == "not validated"
    assert user_texts(stack, psid) == [] and graph_sent(providers, psid) == []


def test_messenger_long_navigator_reply_is_split_within_2000_characters(
        stack: Stack, providers: ProviderStandIn) -> None:
    psid = "2900000000000004"
    messenger_post(stack, messenger_event(psid, "hello"))
    before = len(graph_sent(providers, psid))
    text = " ".join(f"Sentence {n} tells you about the visit schedule and the tests." for n in range(60))
    navigator_reply(stack, psid, text)
    parts = [r.json["message"]["text"] for r in graph_sent(providers, psid)[before:] if "message" in r.json]
    assert len(parts) == 2 and all(len(p) <= 2000 for p in parts)
    assert " ".join(parts) == text


# ---- many or long buttons, and numbers that are answers themselves ------------------------------------------
ECOG = ECOG_BUTTONS  # the pre-screening's own list
ECOG_QUESTION = "Which best describes how active you are?"


def test_long_buttons_render_for_each_channel_and_numbers_keep_their_meaning(
        stack: Stack, providers: ProviderStandIn) -> None:
    # Telegram: one button per row, payloads as callback data
    chat_id = 700005
    telegram_post(stack, telegram_update(5001, chat_id, "hello"))
    navigator_reply(stack, str(chat_id), ECOG_QUESTION, ECOG)
    keyboard = json.loads(telegram_sent(providers, chat_id)[-1].form["reply_markup"])["inline_keyboard"]
    assert [[(b["text"], b["callback_data"]) for b in row] for row in keyboard] == [
        [(b["title"], b["payload"])] for b in ECOG]
    # SMS: a numbered list in which the scale keeps its own numbers; "1" is ECOG 1, "5" is "not sure"
    patient = "+15557650007"
    twilio_post(stack, twilio_inbound(patient, SMS_NUMBER, "hello", "SM0007"))
    navigator_reply(stack, patient, ECOG_QUESTION, ECOG)
    body = sent_sms(providers, patient)[-1].form["Body"]
    assert body.startswith(ECOG_QUESTION + "\n\nReply with a number:\n0. fully active, as before the illness\n")
    assert body.endswith("\n5. Not sure")
    twilio_post(stack, twilio_inbound(patient, SMS_NUMBER, "1", "SM0008"))
    assert user_texts(stack, patient)[-1] == "1"
    # Messenger: titles too long for quick replies: a numbered list, and the numbers as quick replies
    psid = "2900000000000005"
    messenger_post(stack, messenger_event(psid, "hello"))
    navigator_reply(stack, psid, ECOG_QUESTION, ECOG)
    message = [r for r in graph_sent(providers, psid) if "message" in r.json][-1].json["message"]
    assert "\n4. in bed or a chair all day\n5. Not sure" in message["text"]
    assert [(q["title"], q["payload"]) for q in message["quick_replies"]] == [
        ("0", "0"), ("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "not sure")]
    messenger_post(stack, messenger_event(psid, "5"))
    assert user_texts(stack, psid)[-1] == "not sure"


# ---- secrets --------------------------------------------------------------------------------------------
def test_no_secret_is_written_to_the_logs_or_the_credentials_file(stack: Stack) -> None:
    files = [*stack.log_dir.glob("*.log"), stack.log_dir / "rasa-credentials.yml"]
    assert (stack.log_dir / "rasa-credentials.yml").exists()
    for path in files:
        text = Path(path).read_text(errors="replace")
        for secret in SECRETS:
            assert secret not in text, f"a secret appears in {Path(path).name}"
    assert os.environ.get("TRIALBOT_TELEGRAM_TOKEN") is None  # the test process's own environment is untouched
