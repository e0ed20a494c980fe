"""Rasa stores used by the production endpoints (``bot/endpoints.production.yml``)."""
