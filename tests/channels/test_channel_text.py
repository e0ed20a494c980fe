"""Replies fitted to messaging channels: splitting within limits, numbered choices, number replies, sources."""

from __future__ import annotations

import pytest
from channels.choices import (
    buttons_awaiting_reply,
    choices_for,
    is_number_reply,
    picked_payload,
    render_numbered,
)
from channels.text import for_text_channel, sources_text, split_text

from actions.prescreening import ECOG_BUTTONS, YES_NO_UNSURE

pytestmark = pytest.mark.unit

# The bot's own choice lists: the channels must render exactly what the pre-screening sends.
YES_NO, ECOG = YES_NO_UNSURE, ECOG_BUTTONS


# ---- splitting ------------------------------------------------------------------------------------------
def test_short_text_is_one_piece_and_empty_text_none() -> None:
    assert split_text("  Hello there.  ", 1600) == ["Hello there."]
    assert split_text("   \n ", 1600) == []


@pytest.mark.parametrize("limit", [1600, 2000, 4096])
def test_long_text_splits_within_each_channel_limit_without_losing_words(limit: int) -> None:
    sentence = "The trial team checks every requirement before anyone joins the study. "
    text = "\n\n".join(sentence * 20 for _ in range(8))  # about 11,500 characters in 8 paragraphs
    pieces = split_text(text, limit)
    assert len(pieces) > 1
    assert all(0 < len(piece) <= limit for piece in pieces)
    assert " ".join(pieces).split() == text.split()


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    first, second = "A" * 900 + ".", "B" * 900 + "."
    assert split_text(f"{first}\n\n{second}", 1600) == [first, second]
    assert split_text(f"{first}\n\n{second}", 4096) == [f"{first}\n\n{second}"]


def test_lines_then_sentences_then_words_are_the_next_boundaries() -> None:
    lines = "\n".join(f"Line {n} " + "x" * 40 for n in range(10))
    pieces = split_text(lines, 120)
    assert all(piece.startswith("Line") for piece in pieces)  # no line is broken
    sentences = "First sentence is here. Second sentence is here. Third one."
    assert split_text(sentences, 30) == ["First sentence is here.", "Second sentence is here.", "Third one."]
    assert split_text("one two three four", 9) == ["one two", "three", "four"]


def test_chinese_sentences_split_at_their_punctuation() -> None:
    text = "这是第一句话。这是第二句话。这是第三句话。"
    assert split_text(text, 8) == ["这是第一句话。", "这是第二句话。", "这是第三句话。"]


def test_a_word_longer_than_the_limit_is_cut() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    with pytest.raises(ValueError):
        split_text("text", 0)


# ---- numbered choices -----------------------------------------------------------------------------------
def test_buttons_render_as_a_numbered_list_after_the_text() -> None:
    assert render_numbered("Do you agree?", YES_NO) == (
        "Do you agree?\n\nReply with a number:\n1. Yes\n2. No\n3. Not sure")
    assert render_numbered("Nothing to choose", []) == "Nothing to choose"


def test_a_number_reply_picks_that_buttons_payload() -> None:
    assert picked_payload("2", YES_NO) == "no"
    assert picked_payload(" 3. ", YES_NO) == "not sure"
    assert picked_payload("#1", YES_NO) == "yes"
    assert picked_payload("4", YES_NO) is None  # no such choice
    assert picked_payload("2 weeks", YES_NO) is None  # not just a number
    assert picked_payload("yes", YES_NO) is None
    assert picked_payload("1", None) is None
    assert is_number_reply("12") and not is_number_reply("12 years") and not is_number_reply("")


def test_self_numbered_buttons_keep_their_own_numbers() -> None:
    """ECOG's "1 – can't do heavy work" is 1 whether typed, read or tapped; "Not sure" takes the next free."""
    choices = choices_for(ECOG)
    assert [c.key for c in choices] == ["0", "1", "2", "3", "4", "5"]
    assert choices[0].label == "fully active, as before the illness"
    assert picked_payload("1", ECOG) == "1"
    assert picked_payload("0", ECOG) == "0"
    assert picked_payload("5", ECOG) == "not sure"
    rendered = render_numbered("Question 7 of 14: how active are you?", ECOG)
    assert "\n0. fully active, as before the illness\n1. can't do heavy work" in rendered
    assert rendered.endswith("\n5. Not sure")


def test_numeric_payloads_without_numbered_titles_also_keep_their_numbers() -> None:
    buttons = [{"title": "None", "payload": "0"}, {"title": "One", "payload": "1"}, {"title": "Two", "payload": "2"},
               {"title": "Not sure", "payload": "not sure"}]
    assert [(c.key, c.payload) for c in choices_for(buttons)] == [("0", "0"), ("1", "1"), ("2", "2"),
                                                                   ("3", "not sure")]


def test_only_the_last_bot_message_before_any_reply_offers_choices() -> None:
    asked = {"event": "bot", "text": "Do you agree?", "data": {"buttons": YES_NO}}
    question = {"event": "bot", "text": "How old are you?", "data": {}}
    user = {"event": "user", "text": "hi"}
    slot = {"event": "slot", "name": "x", "value": 1}
    assert buttons_awaiting_reply([slot, asked, user]) == YES_NO
    assert buttons_awaiting_reply([question, asked, user]) is None  # "52" answers the age question
    assert buttons_awaiting_reply([user, asked]) is None  # already answered
    assert buttons_awaiting_reply([]) is None


# ---- widget payloads on text channels --------------------------------------------------------------------
def test_citations_become_one_sources_line_and_widget_payloads_are_dropped() -> None:
    custom = {"citations": [
        {"source": "Who can join", "section": "Age", "score": 0.9, "text": "..."},
        {"source": "Who can join", "section": "Age", "score": 0.8, "text": "..."},
        {"source": "The study drug", "section": "", "score": 0.7, "text": "..."},
    ]}
    assert sources_text(custom) == "Sources: Who can join — Age; The study drug"
    assert for_text_channel(custom) == ("Sources: Who can join — Age; The study drug", None)
    assert for_text_channel({"screening": {"outcome": "possibly_eligible"}}) == (None, None)
    assert for_text_channel({"text": "provider payload"}) == (None, {"text": "provider payload"})
    assert sources_text({"citations": []}) is None
