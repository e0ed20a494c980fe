"""Rasa's credentials file, written from the environment: the REST channel (the website widget) plus each
messaging channel whose settings are set (:class:`~trialbot.settings.ChannelSettings`).

The file holds no secret: it names variables (``access_token: ${TRIALBOT_TELEGRAM_TOKEN}``), which Rasa
expands from its own environment when it reads the file; :func:`rasa_env` gives that environment (values
may come from ``.env``, which Rasa does not read). Nothing here logs a value.

``python -m trialbot.channels [--output PATH]`` prints (or writes) the file and names the channels that are
on, for set-ups that start Rasa without ``trialbot run`` (docker-compose).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from trialbot.settings import ChannelSettings

HEADER = ("# Written by trialbot from the environment (trialbot/channels.py); edits are overwritten.\n"
          "# Values are ${VARIABLES} that Rasa expands when it reads this file: no secret is stored here.\n")


@dataclass(frozen=True)
class ChannelSpec:
    """One messaging channel: its connector class and which setting fills which credentials key."""

    title: str
    connector: str  # module path of the connector class, bot/ being on PYTHONPATH
    switch: str  # the setting that turns the channel on
    fields: tuple[tuple[str, str, bool], ...]  # (credentials key, setting, required)


CHANNELS = (
    ChannelSpec("Telegram", "channels.telegram_channel.TelegramChannel", "telegram_token", (
        ("access_token", "telegram_token", True),
        ("verify", "telegram_bot_name", True),
        ("webhook_url", "telegram_webhook_url", False),
        ("secret_token", "telegram_secret_token", False),
        ("api_url", "telegram_api_url", True),
    )),
    ChannelSpec("Twilio (SMS/WhatsApp)", "channels.twilio_channel.TwilioChannel", "twilio_account_sid", (
        ("account_sid", "twilio_account_sid", True),
        ("auth_token", "twilio_auth_token", True),
        ("twilio_number", "twilio_sms_number", False),
        ("whatsapp_number", "twilio_whatsapp_number", False),
        ("webhook_url", "twilio_webhook_url", True),
        ("api_url", "twilio_api_url", True),
    )),
    ChannelSpec("Facebook Messenger", "channels.messenger_channel.MessengerChannel", "messenger_page_token", (
        ("page-access-token", "messenger_page_token", True),
        ("secret", "messenger_app_secret", True),
        ("verify", "messenger_verify_token", True),
        ("graph_url", "messenger_graph_url", True),
        ("api_version", "messenger_api_version", True),
    )),
)


def env_name(setting: str) -> str:
    return f"TRIALBOT_{setting.upper()}"


def _value(settings: ChannelSettings, setting: str) -> str | None:
    value = getattr(settings, setting)
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    value = str(value).strip() if value is not None else ""
    return value or None


def enabled_channels(settings: ChannelSettings) -> list[ChannelSpec]:
    return [spec for spec in CHANNELS if _value(settings, spec.switch)]


def channel_problems(settings: ChannelSettings) -> list[str]:
    """Why a channel that is switched on cannot work (a required setting missing); empty when all is well."""
    problems = []
    for spec in enabled_channels(settings):
        missing = [env_name(setting) for _key, setting, required in spec.fields
                   if required and not _value(settings, setting)]
        if spec.switch == "twilio_account_sid" and not (
            _value(settings, "twilio_sms_number") or _value(settings, "twilio_whatsapp_number")
        ):
            missing.append(f"{env_name('twilio_sms_number')} or {env_name('twilio_whatsapp_number')}")
        if missing:
            problems.append(f"{spec.title} is switched on by {env_name(spec.switch)} but {', '.join(missing)} "
                            f"{'is' if len(missing) == 1 else 'are'} not set")
    return problems


def credentials_yaml(settings: ChannelSettings) -> str:
    """The credentials file: ``rest:`` and each enabled channel, its values as ``${VARIABLE}`` references."""
    lines = [HEADER.rstrip("\n"), "rest:"]
    for spec in enabled_channels(settings):
        lines.append(f"{spec.connector}:")
        lines += [f"  {key}: ${{{env_name(setting)}}}" for key, setting, _required in spec.fields
                  if _value(settings, setting)]
    return "\n".join(lines) + "\n"


def rasa_env(settings: ChannelSettings) -> dict[str, str]:
    """The variables the credentials file refers to, with their values, for the Rasa server's environment."""
    return {env_name(setting): value for spec in enabled_channels(settings) for _key, setting, _required in spec.fields
            if (value := _value(settings, setting))}


def write_credentials(settings: ChannelSettings, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(credentials_yaml(settings), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write Rasa's credentials file for the channels that are on.")
    parser.add_argument("--output", type=Path, help="file to write (default: print it)")
    args = parser.parse_args(argv)
    settings = ChannelSettings()
    for problem in channel_problems(settings):
        print(f"trialbot channels: {problem}", file=sys.stderr)
    if args.output:
        write_credentials(settings, args.output)
    else:
        sys.stdout.write(credentials_yaml(settings))
    names = ", ".join(spec.title for spec in enabled_channels(settings)) or "none (the website widget only)"
    print(f"messaging channels on: {names}", file=sys.stderr)
    return 1 if channel_problems(settings) else 0


if __name__ == "__main__":
    sys.exit(main())
