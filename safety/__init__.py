"""Patient safety checks, shared by the Rasa bot (Python 3.10) and the rest of the project (Python 3.11).

Standard library and PyYAML only. The words and phrases live in YAML next to the code:

- :mod:`safety.urgent`: ``detect_urgent(text)`` -> :class:`UrgentFinding` | None, ``safety_message(finding)``
- :mod:`safety.advice`: ``detect_medical_advice(text)`` -> :class:`AdviceFinding` | None, ``decline_message(finding)``
- :mod:`safety.redaction`: ``redact(text)``, ``RedactingFilter``, ``install_redaction(logger=None)``
"""

from safety.advice import AdviceFinding, decline_message, detect_medical_advice
from safety.redaction import RedactingFilter, install_redaction, redact
from safety.urgent import UrgentFinding, detect_urgent, safety_message

__all__ = [
    "AdviceFinding",
    "RedactingFilter",
    "UrgentFinding",
    "decline_message",
    "detect_medical_advice",
    "detect_urgent",
    "install_redaction",
    "redact",
    "safety_message",
]
