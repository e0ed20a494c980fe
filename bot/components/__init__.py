"""Custom Rasa components of this project (run inside Rasa's Python 3.10 environment)."""
