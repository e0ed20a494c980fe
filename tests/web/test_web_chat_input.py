"""Unit tests of the chat body checks in ``web.chat_input`` (no app, no network)."""

from __future__ import annotations

import pytest

from web.chat_input import ChatInputError, ChatRequest, check_content_type, parse_chat_request

pytestmark = pytest.mark.unit


def code_of(raw: bytes, max_chars: int = 2000) -> str:
    with pytest.raises(ChatInputError) as info:
        parse_chat_request(raw, max_chars)
    return info.value.code


def test_good_body_keeps_the_message_exactly_and_drops_other_fields() -> None:
    raw = b'{"sender": "user-1", "message": "  Hello\\nthere  ", "metadata": {"x": 1}}'
    assert parse_chat_request(raw, 2000) == ChatRequest(sender="user-1", message="  Hello\nthere  ")
    assert parse_chat_request(raw, 2000).as_json() == {"sender": "user-1", "message": "  Hello\nthere  "}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\xff\xfe{}", "invalid_encoding"),
        (b'{"sender": "a", "message": "\\ud800"}', "invalid_encoding"),
        (b"{", "malformed_json"),
        (b"", "malformed_json"),
        (b"[" * 5000, "malformed_json"),
        (b'"just a string"', "invalid_body"),
        (b'{"message": "hi"}', "missing_field"),
        (b'{"sender": "a"}', "missing_field"),
        (b'{"sender": 1, "message": "hi"}', "invalid_type"),
        (b'{"sender": "a", "message": ["hi"]}', "invalid_type"),
        (b'{"sender": "a", "message": NaN}', "invalid_type"),
        (b'{"sender": "", "message": "hi"}', "invalid_sender"),
        (b'{"sender": "a\\n", "message": "hi"}', "invalid_sender"),
        (b'{"sender": "a", "message": " \\t\\n "}', "empty_message"),
        (b'{"sender": "a", "message": "hi\\u0000"}', "invalid_characters"),
    ],
)
def test_bad_bodies_get_a_stable_code(raw: bytes, code: str) -> None:
    assert code_of(raw) == code


def test_message_length_is_counted_in_characters() -> None:
    assert parse_chat_request(('{"sender": "a", "message": "' + "é" * 10 + '"}').encode(), 10)
    assert code_of(('{"sender": "a", "message": "' + "é" * 11 + '"}').encode(), 10) == "message_too_long"


def test_sender_boundaries() -> None:
    assert parse_chat_request(('{"sender": "' + "a" * 128 + '", "message": "hi"}').encode(), 2000)
    assert code_of(('{"sender": "' + "a" * 129 + '", "message": "hi"}').encode()) == "invalid_sender"
    assert parse_chat_request(b'{"sender": "A-z_0.9:x", "message": "hi"}', 2000)


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"]
)
def test_json_content_types_are_accepted(content_type: str) -> None:
    check_content_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    [None, "", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_other_content_types_are_refused(content_type: str | None) -> None:
    with pytest.raises(ChatInputError) as info:
        check_content_type(content_type)
    assert info.value.code == "unsupported_media_type"
