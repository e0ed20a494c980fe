"""Rasa SDK custom actions, one module per action family; served by ``python -m rasa_sdk --actions actions``."""
