"""Redaction of contact details and identifiers in logs (defence in depth: our code never logs message text).

``redact(text)`` replaces e-mail addresses with ``[EMAIL]``, phone numbers in local or international
formats (``+86 138 0013 8000``, ``(020) 7946 0958``, ``555-123-4567``) with ``[PHONE]``, and other runs
of 7 or more digits (record numbers, ID numbers, also after one or two capital letters, as in
``E12345678``) with ``[NUMBER]``, also when URL-encoded (a query string in an access log). Dates, times,
IPv4 addresses and UUIDs are left alone, so log lines stay useful. ``RedactingFilter`` applies it to every
log record (message, arguments, extra string fields, exception text), and ``install_redaction()`` attaches
one to the handlers of the root logger (or of a given logger). ``install_process_redaction()`` is what a
server calls at start: it also redacts every record when it is created (a log record factory), so handlers
added later, records that propagate past a logger's own filters and Python's last-resort handler all get
redacted text.

Standard library only; runs on Python 3.10 and 3.11.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

EMAIL_PLACEHOLDER = "[EMAIL]"
PHONE_PLACEHOLDER = "[PHONE]"
NUMBER_PLACEHOLDER = "[NUMBER]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Spans that look like numbers but are kept: ISO dates and times, dd/mm/yyyy dates, clock times,
# IPv4 addresses, UUIDs and version numbers.
_KEEP = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
    r"|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b(?![-.]\d)"
    r"|\b\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\b"
    r"|\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"
    r"|\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
    r"|\bv?\d{1,3}\.\d{1,3}\.\d{1,3}\b(?!\.\d)"
)
# A phone-number candidate: optional + or 00, then digits with spaces, dots, dashes or parentheses.
_PHONE = re.compile(r"(?<![\w+])(?:\+|\b00)?\(?\d[\d\s().\-]{5,}\d(?![\w])")
_DIGITS = re.compile(r"(?<![\w])\d{7,}(?![\w])|\b[A-Z]{1,2}\d{6,10}\b")
_MIN_PHONE_DIGITS = 7
_MAX_PHONE_DIGITS = 15


def _phone_like(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    if not _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS:
        return False
    if re.search(r"\s{2,}|[.\-]{2,}|\(\s*\)", candidate):
        return False
    if len(re.findall(r"\d+", candidate)) > digits / 2 + 1:  # "1 2 3 4 5 6 7": a list, not a number
        return False
    # a plain run of digits is an identifier unless it is written as an international number
    return not (candidate.isdigit() and not candidate.startswith("00"))


def _redact_phones(text: str) -> str:
    out = []
    last = 0
    for m in _PHONE.finditer(text):
        candidate = m.group(0).rstrip(" .-")
        if not _phone_like(candidate):
            continue
        out.append(text[last:m.start()])
        out.append(PHONE_PLACEHOLDER)
        last = m.start() + len(candidate)
    out.append(text[last:])
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and long digit runs replaced by placeholders.

    URL-encoded details (``ana%40example.com``, ``%2B44+20+7946+0958`` in a logged query string) are found
    too: when decoding the text reveals something to redact, the decoded, redacted text is returned."""
    if not isinstance(text, str) or not text:
        return text
    plain = _redact_plain(text)
    if "%" in plain or "+" in plain:
        decoded = unquote_plus(plain)
        if decoded != plain:
            redacted = _redact_plain(decoded)
            if redacted != decoded:
                return redacted
    return plain


def _redact_plain(text: str) -> str:
    text = _EMAIL.sub(EMAIL_PLACEHOLDER, text)
    kept: list[str] = []

    def _hold(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = _KEEP.sub(_hold, text)
    text = _redact_phones(text)
    text = _DIGITS.sub(NUMBER_PLACEHOLDER, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and len(str(abs(int(value)))) >= 7:
        return redact(str(value))
    if isinstance(value, tuple):
        return tuple(_redact_value(v) for v in value)
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    return value


# LogRecord attributes that hold logging metadata, never user data.
_RECORD_METADATA = frozenset({
    "name", "levelname", "levelno", "pathname", "filename", "module", "funcName", "lineno", "created",
    "msecs", "relativeCreated", "thread", "threadName", "processName", "process", "taskName", "asctime",
    "msg", "args", "exc_info", "exc_text", "stack_info", "message",
})


def _redact_parts(record: logging.LogRecord) -> bool:
    """Redact ``msg`` and each argument separately, keeping the record's shape (formatters such as uvicorn's
    access log unpack ``args``). True when that left nothing to redact in the formatted message; otherwise the
    record is left as it was and the caller replaces it by the redacted whole message."""
    if not record.args or not isinstance(record.msg, str):
        return False
    saved = record.msg, record.args
    record.msg, record.args = redact(record.msg), _redact_value(record.args)
    try:
        message = record.getMessage()
        clean = redact(message) == message
    except Exception:  # e.g. "%d" given a redacted number, which is now a string
        clean = False
    if not clean:
        record.msg, record.args = saved
    return clean


class RedactingFilter(logging.Filter):
    """Redacts a record in place: the formatted message (``msg`` % ``args``), extra string fields, the
    exception text and the stack. Always lets the record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: redact the parts instead of formatting
            record.msg = _redact_value(record.msg if isinstance(record.msg, str) else str(record.msg))
            record.args = _redact_value(record.args) if record.args else record.args
        else:
            redacted = redact(message)
            if redacted != message and not _redact_parts(record):
                record.msg = redacted
                record.args = ()
        for key, value in list(vars(record).items()):
            if key not in _RECORD_METADATA and isinstance(value, (str, tuple, list, dict)):
                setattr(record, key, _redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Attach one :class:`RedactingFilter` to every handler of ``logger`` (the root logger by default) and
    to the logger itself; calling it again does not add a second one. Handlers added later are not covered:
    call it after logging is configured."""
    target = logger if logger is not None else logging.getLogger()
    existing = next((f for f in target.filters if isinstance(f, RedactingFilter)), None)
    redactor = existing or RedactingFilter()
    if existing is None:
        target.addFilter(redactor)
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(redactor)
    return redactor


_FACTORY_FILTER = RedactingFilter()


def _redacting_factory(base: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        _FACTORY_FILTER.filter(record)
        return record

    factory._trialbot_redacting = True  # type: ignore[attr-defined]
    return factory


def install_process_redaction(*logger_names: str) -> None:
    """Redact every log record of this process: when it is created (a record factory, so any handler, also
    one added later, sees redacted text) and again in the handlers of the root logger and of ``logger_names``
    (which also covers ``extra`` fields, set after the factory ran). Idempotent; call it after logging is
    configured."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "_trialbot_redacting", False):
        logging.setLogRecordFactory(_redacting_factory(current))
    install_redaction()
    for name in logger_names:
        install_redaction(logging.getLogger(name))
