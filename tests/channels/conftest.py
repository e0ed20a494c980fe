"""The channels' pure modules (``bot/channels/choices.py``, ``text.py``) are imported as the Rasa server
imports them: with ``bot/`` on the path."""

from __future__ import annotations

import sys
from pathlib import Path

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"
if str(BOT_DIR) not in sys.path:
    sys.path.insert(0, str(BOT_DIR))
