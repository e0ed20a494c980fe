"""Messaging channels: small subclasses of Rasa's own connectors, registered in the credentials file by
module path (``trialbot run`` writes it from the environment; see ``trialbot/channels.py``).

- ``telegram_channel``: Telegram (``channels.telegram_channel.TelegramChannel``);
- ``twilio_channel``: SMS and WhatsApp through Twilio (``channels.twilio_channel.TwilioChannel``);
- ``messenger_channel``: Facebook Messenger (``channels.messenger_channel.MessengerChannel``);
- ``base``: a reply of just a number picks that button of the bot's last message (read from the tracker);
- ``choices`` and ``text``: pure functions (numbered choices, splitting, sources), no Rasa import.

Runs inside Rasa's Python 3.10 environment; ``bot/`` must be on ``PYTHONPATH`` (``trialbot run`` sets it).
"""
