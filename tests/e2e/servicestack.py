"""The three real servers started one by one, so a test can kill and restart one (``trialbot.services``)."""

from trialbot.services import ServiceStack, start_services

__all__ = ["ServiceStack", "start_services"]
