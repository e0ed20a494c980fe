"""Contact details checked with maintained libraries: phone numbers (phonenumbers) and emails
(email-validator, syntax only: no network lookups)."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email


def normalize_phone(text: str, default_region: str = "CN") -> str | None:
    """The number in E.164 form (+8613...), or None when it is not a valid phone number. Numbers
    without a country code are read as ``default_region`` (the trial site's country)."""
    try:
        number = phonenumbers.parse(text.strip(), None if text.strip().startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(text: str) -> str | None:
    """The normalized address, or None when it is not a valid email address."""
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None
