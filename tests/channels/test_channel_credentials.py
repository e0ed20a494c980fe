"""Rasa's credentials file from the environment: each channel on only when its variables are set, no
secret in the file, and Rasa itself reads the file into the project's connector classes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

from trialbot.channels import channel_problems, credentials_yaml, enabled_channels, rasa_env, write_credentials
from trialbot.settings import REPO_ROOT, ChannelSettings

SECRETS = {
    "telegram_token": "123456789:AAH-telegram-token-for-tests-only_x",
    "telegram_secret_token": "tg-webhook-secret-for-tests",
    "twilio_auth_token": "twilio-auth-token-for-tests-0001",
    "messenger_page_token": "EAAB-page-token-for-tests",
    "messenger_app_secret": "app-secret-for-tests-0001",
    "messenger_verify_token": "verify-token-for-tests",
}
ALL_CHANNELS = {
    **SECRETS,
    "telegram_bot_name": "trial_helper_bot",
    "telegram_webhook_url": "https://bot.example.org/webhooks/telegram/webhook",
    "twilio_account_sid": "AC" + "0" * 32,
    "twilio_sms_number": "+15550001111",
    "twilio_whatsapp_number": "whatsapp:+14155238886",
    "twilio_webhook_url": "https://bot.example.org/webhooks/twilio/webhook",
}


@pytest.fixture(autouse=True)
def _no_channel_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("TRIALBOT_TELEGRAM", "TRIALBOT_TWILIO", "TRIALBOT_MESSENGER")):
            monkeypatch.delenv(name)


def settings(**values: str) -> ChannelSettings:
    return ChannelSettings(_env_file=None, **values)


@pytest.mark.unit
def test_no_channel_variables_means_the_rest_channel_only() -> None:
    channels = settings()
    assert enabled_channels(channels) == []
    assert yaml.safe_load(credentials_yaml(channels)) == {"rest": None}
    assert rasa_env(channels) == {} and channel_problems(channels) == []


@pytest.mark.unit
def test_each_channel_is_switched_on_by_its_own_variables() -> None:
    only_twilio = settings(twilio_account_sid="AC1", twilio_auth_token="t" * 32, twilio_sms_number="+15550001111",
                           twilio_webhook_url="https://bot.example.org/webhooks/twilio/webhook")
    assert list(yaml.safe_load(credentials_yaml(only_twilio))) == ["rest", "channels.twilio_channel.TwilioChannel"]
    parsed = yaml.safe_load(credentials_yaml(settings(**ALL_CHANNELS)))
    assert list(parsed) == ["rest", "channels.telegram_channel.TelegramChannel",
                            "channels.twilio_channel.TwilioChannel", "channels.messenger_channel.MessengerChannel"]
    assert parsed["channels.telegram_channel.TelegramChannel"]["access_token"] == "${TRIALBOT_TELEGRAM_TOKEN}"
    assert parsed["channels.twilio_channel.TwilioChannel"]["api_url"] == "${TRIALBOT_TWILIO_API_URL}"


@pytest.mark.unit
def test_the_file_names_variables_and_the_environment_carries_the_values(tmp_path: Path) -> None:
    channels = settings(**ALL_CHANNELS)
    text = write_credentials(channels, tmp_path / "credentials.yml").read_text()
    for secret in SECRETS.values():
        assert secret not in text
    env = rasa_env(channels)
    assert env["TRIALBOT_TELEGRAM_TOKEN"] == SECRETS["telegram_token"]
    assert env["TRIALBOT_MESSENGER_GRAPH_URL"] == "https://graph.facebook.com"
    referenced = {value[2:-1] for entry in yaml.safe_load(text).values() if entry for value in entry.values()}
    assert referenced == set(env)


@pytest.mark.unit
def test_a_half_configured_channel_is_reported_by_name() -> None:
    problems = channel_problems(settings(telegram_token=SECRETS["telegram_token"],
                                         twilio_account_sid="AC1", twilio_auth_token="t" * 32))
    assert problems == [
        "Telegram is switched on by TRIALBOT_TELEGRAM_TOKEN but TRIALBOT_TELEGRAM_BOT_NAME is not set",
        "Twilio (SMS/WhatsApp) is switched on by TRIALBOT_TWILIO_ACCOUNT_SID but TRIALBOT_TWILIO_WEBHOOK_URL, "
        "TRIALBOT_TWILIO_SMS_NUMBER or TRIALBOT_TWILIO_WHATSAPP_NUMBER are not set",
    ]


RASA_READS = """
import json, sys
from rasa.core.run import create_http_input_channels
channels = create_http_input_channels(None, sys.argv[1])
print(json.dumps([[type(c).__module__ + "." + type(c).__name__, c.name()] for c in channels]))
tg, tw, fb = channels[1:]
print(json.dumps([tg.access_token, tg.verify, tg.secret_token, tg.api_url, tw.whatsapp_number, tw.twilio_number,
                  fb.fb_secret, fb.api_version]))
"""


@pytest.mark.integration
def test_rasa_reads_the_file_into_the_project_connectors(tmp_path: Path) -> None:
    channels = settings(**ALL_CHANNELS)
    path = write_credentials(channels, tmp_path / "credentials.yml")
    env = {**os.environ, **rasa_env(channels), "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "bot")])}
    done = subprocess.run([str(REPO_ROOT / ".venv-rasa" / "bin" / "python"), "-c", RASA_READS, str(path)],
                          env=env, capture_output=True, text=True, timeout=180, cwd=REPO_ROOT / "bot")
    assert done.returncode == 0, done.stderr[-2000:]
    classes, values = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert classes == [["rasa.core.channels.rest.RestInput", "rest"],
                       ["channels.telegram_channel.TelegramChannel", "telegram"],
                       ["channels.twilio_channel.TwilioChannel", "twilio"],
                       ["channels.messenger_channel.MessengerChannel", "facebook"]]
    assert values == [SECRETS["telegram_token"], "trial_helper_bot", SECRETS["telegram_secret_token"],
                      "https://api.telegram.org", "whatsapp:+14155238886", "+15550001111",
                      SECRETS["messenger_app_secret"], "25.0"]


@pytest.mark.unit
def test_the_module_writes_the_file_for_rasa_started_without_trialbot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from trialbot.channels import main

    monkeypatch.setenv("TRIALBOT_MESSENGER_PAGE_TOKEN", SECRETS["messenger_page_token"])
    monkeypatch.setenv("TRIALBOT_MESSENGER_APP_SECRET", SECRETS["messenger_app_secret"])
    monkeypatch.setenv("TRIALBOT_MESSENGER_VERIFY_TOKEN", SECRETS["messenger_verify_token"])
    assert main(["--output", str(tmp_path / "credentials.yml")]) == 0
    assert list(yaml.safe_load((tmp_path / "credentials.yml").read_text())) == [
        "rest", "channels.messenger_channel.MessengerChannel"]
    assert "messaging channels on: Facebook Messenger" in capsys.readouterr().err
    monkeypatch.delenv("TRIALBOT_MESSENGER_APP_SECRET")
    assert main([]) == 1
    assert "TRIALBOT_MESSENGER_APP_SECRET is not set" in capsys.readouterr().err


@pytest.mark.integration
def test_trialbot_run_refuses_a_half_configured_channel_before_starting_anything(tmp_path: Path) -> None:
    env = {**os.environ, "TRIALBOT_TELEGRAM_TOKEN": SECRETS["telegram_token"], "TRIALBOT_LOG_DIR": str(tmp_path)}
    process = subprocess.Popen([str(REPO_ROOT / ".venv" / "bin" / "trialbot"), "run"], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail("trialbot run started instead of refusing")
    assert process.returncode == 1
    assert "Telegram is switched on by TRIALBOT_TELEGRAM_TOKEN but TRIALBOT_TELEGRAM_BOT_NAME is not set" in err
    assert SECRETS["telegram_token"] not in err
    assert not list(tmp_path.glob("*.log"))  # no server was started
