"""Log redaction: e-mails, phone numbers and long digit runs, in strings and in real log records."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from safety.redaction import RedactingFilter, install_process_redaction, install_redaction, redact

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", [
    "jane.doe@example.com",
    "j.o'neil+trial@mail.hospital.org.cn",
])
def test_emails_are_replaced(text: str) -> None:
    assert redact(f"contact {text} please") == "contact [EMAIL] please"


@pytest.mark.parametrize("phone", [
    "+86 138 0013 8000",
    "+8613800138000",
    "008613800138000",
    "+1 (555) 123-4567",
    "(020) 7946 0958",
    "+44 20 7946 0958",
    "555-123-4567",
    "555.123.4567",
    "0412 555 019",
    "+33 6 12 34 56 78",
    "138-0013-8000",
])
def test_phone_numbers_in_local_and_international_formats_are_replaced(phone: str) -> None:
    assert redact(f"call me on {phone} tomorrow") == "call me on [PHONE] tomorrow"


@pytest.mark.parametrize(("text", "expected"), [
    ("MRN 12345678", "MRN [NUMBER]"),
    ("id 110101199003074512", "id [NUMBER]"),
    ("passport E12345678", "passport [NUMBER]"),
])
def test_long_digit_runs_are_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "2024-11-23 20:00:01,123 request took 38.5 ms",
    "server on 127.0.0.1:8000, 192.168.100.200",
    "conversation 123e4567-e89b-12d3-a456-426614174000",
    "ANC 1.5, platelets 100, Hb 90, 6 mg/kg, cycle 3 of 8, 15/03/2024",
    "rasa 3.6.21, chunk a3f9b2c41234567d, 1,234,567 rows",
    "items 1 2 3 4 5 6 7 8",
])
def test_dates_times_addresses_ids_and_small_numbers_are_kept(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("GET /x?mail=ana.lopez%40example.com&tel=%2B44+20+7946+0958 HTTP/1.1",
     "GET /x?mail=[EMAIL]&tel=[PHONE] HTTP/1.1"),
    ("/api?phone=555-123-4567&q=a+b", "/api?phone=[PHONE]&q=a+b"),
])
def test_url_encoded_details_are_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", ["GET /static/a%20b.css?v=1+2", "38.5% of 120 patients, 2+2"])
def test_url_encoded_text_without_details_is_kept_as_it_was(text: str) -> None:
    assert redact(text) == text


def test_non_strings_and_empty_strings_pass_through() -> None:
    assert redact("") == ""
    assert redact(None) is None  # type: ignore[arg-type]


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(contact)s"))
    logger = logging.getLogger("tests.safety.redaction")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.handlers = []
    logger.filters = []


def test_filter_redacts_message_args_and_extra_fields_in_a_real_handler(captured) -> None:
    logger, stream = captured
    install_redaction(logger)
    logger.info("handoff for %s, phone %s, attempt %d", "ana@example.com", "+86 138 0013 8000", 2,
                extra={"contact": "call 0412 555 019"})
    line = stream.getvalue()
    assert "ana@example.com" not in line and "138 0013" not in line and "0412" not in line
    assert line.strip() == "INFO handoff for [EMAIL], phone [PHONE], attempt 2 call [PHONE]"


def test_filter_redacts_exception_text(captured) -> None:
    logger, stream = captured
    logger.handlers[0].setFormatter(logging.Formatter("%(message)s"))
    install_redaction(logger)
    try:
        raise ValueError("bad contact bob@example.org")
    except ValueError:
        logger.exception("could not save")
    output = stream.getvalue()
    assert "bob@example.org" not in output and "[EMAIL]" in output and "ValueError" in output


def test_filter_survives_a_broken_format_string(captured) -> None:
    logger, stream = captured
    logger.handlers[0].setFormatter(logging.Formatter("%(message)s"))
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "number %d for %s", ("x",), None)
    assert RedactingFilter().filter(record) is True
    record.args = ("a@b.co",)
    record.msg = "mail %s %s"
    RedactingFilter().filter(record)
    assert "a@b.co" not in str(record.msg) + str(record.args)


def test_install_redaction_on_the_root_logger_covers_child_loggers_and_is_idempotent() -> None:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    saved_level, saved_filters = root.level, list(root.filters)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        first = install_redaction()
        second = install_redaction()
        assert first is second
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        logging.getLogger("actions.handoff.child").warning("callback to +44 20 7946 0958")
        assert stream.getvalue().strip() == "callback to [PHONE]"
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)
        root.filters = saved_filters


def test_filter_keeps_the_arguments_shape_for_formatters_that_unpack_them(captured) -> None:
    # uvicorn's access formatter unpacks record.args; redaction must not collapse them into the message
    class Unpacking(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            client, method, path = record.args  # type: ignore[misc]
            return f"{client} {method} {path}"

    logger, stream = captured
    logger.handlers[0].setFormatter(Unpacking())
    install_redaction(logger)
    logger.info('%s - "%s %s"', "127.0.0.1:5000", "GET", "/api?mail=ana@example.com&tel=+44 20 7946 0958")
    assert stream.getvalue().strip() == "127.0.0.1:5000 GET /api?mail=[EMAIL]&tel=[PHONE]"


def test_filter_collapses_when_a_redacted_argument_no_longer_fits_its_format(captured) -> None:
    logger, stream = captured
    logger.handlers[0].setFormatter(logging.Formatter("%(message)s"))
    install_redaction(logger)
    logger.info("record %d of %s", 12345678, "bob@example.org")
    assert stream.getvalue().strip() == "record [NUMBER] of [EMAIL]"


@pytest.fixture
def process_redaction() -> Iterator[None]:
    root = logging.getLogger()
    saved = logging.getLogRecordFactory(), list(root.filters), [list(h.filters) for h in root.handlers]
    yield
    logging.setLogRecordFactory(saved[0])
    root.filters = saved[1]
    for handler, filters in zip(root.handlers, saved[2], strict=False):
        handler.filters = filters


def test_process_redaction_covers_handlers_added_later_and_is_idempotent(process_redaction) -> None:
    install_process_redaction()
    install_process_redaction()
    stream = io.StringIO()
    late = logging.StreamHandler(stream)  # added after the installation, with no filter of its own
    late.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("tests.safety.late")
    logger.addHandler(late)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.warning("call %s or write to %s", "+86 138 0013 8000", "ana@example.com")
        try:
            raise ValueError("contact bob@example.org")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(late)
    output = stream.getvalue()
    assert output.startswith("call [PHONE] or write to [EMAIL]\n")
    assert "bob@example.org" not in output and "ValueError: contact [EMAIL]" in output
    record = logging.getLogRecordFactory()("x", logging.INFO, __file__, 1, "%s", ("ana@example.com",), None)
    assert record.getMessage() == "[EMAIL]"
