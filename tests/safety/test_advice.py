"""Medical-advice requests: the four categories, trial questions that look like them, the decline message."""

from __future__ import annotations

from pathlib import Path

import pytest

from safety.advice import (
    CATEGORIES,
    TERMS_PATH,
    AdviceFinding,
    AdviceTermsError,
    decline_message,
    detect_medical_advice,
    load_rules,
)

pytestmark = pytest.mark.unit

ADVICE = {
    "dosing": [
        "how much should I take?",
        "can I double my dose?",
        "Should my dad get 6 or 8 mg/kg?",
        "my doctor said 8 mg/kg, is that too much?",
        "i missed my dexamethasone this morning, should i take two now",
    ],
    "treatment_change": [
        "should I stop my chemo?",
        "should I skip my infusion?",
        "can I take ibuprofen with it?",
        "is it safe for me to get the flu jab during treatment?",
        "Should I join this trial or not?",
    ],
    "personal_results": [
        "my ANC is 1.2, is that bad?",
        "what does my scan mean?",
        "dad's LVEF came back at 48%, is his heart weak?",
        "Here are my blood results: Hb 85, platelets 90. Am I ok?",
    ],
    "prognosis": [
        "how long do I have to live?",
        "will this cure me?",
        "what are my chances?",
        "Is my dad going to die?",
        "Do you think she will beat this?",
    ],
}

LOOKALIKES = [
    "what dose is used in the trial?",
    "how often are infusions given?",
    "what blood counts are needed to join?",
    "what does mg/kg mean?",
    "Can I stop taking part in the trial whenever I want?",
    "Do I need to stop other cancer treatment before joining, and for how long?",
    "Can I join the trial?",
    "What does 'progressive disease' mean?",
    "how long do I have to wait for screening results?",
    "how long does each infusion take?",
    "Is there a chance I get a placebo?",
    "what does overall survival mean?",
    "What should I do if I get chest pain during the infusion?",
    "my ANC was 1.8 last week",
    "should I bring my scans to the first visit?",
]


@pytest.mark.parametrize(("category", "text"), [(c, t) for c, texts in ADVICE.items() for t in texts])
def test_advice_requests_are_detected_with_their_category(category: str, text: str) -> None:
    finding = detect_medical_advice(text)
    assert finding is not None, text
    assert finding.category == category
    assert finding.matched


@pytest.mark.parametrize("text", LOOKALIKES)
def test_general_trial_questions_are_not_advice(text: str) -> None:
    assert detect_medical_advice(text) is None


@pytest.mark.parametrize("text", ["", "  "])
def test_empty_text_is_not_advice(text: str) -> None:
    assert detect_medical_advice(text) is None


@pytest.mark.parametrize("category", CATEGORIES)
def test_decline_message_is_kind_gives_the_reason_and_points_to_people(category: str) -> None:
    text = decline_message(AdviceFinding(category, "x"))
    lower = text.lower()
    assert lower.startswith(("i'm sorry", "that is such"))
    assert "not a doctor" in lower and "your situation" in lower
    assert "doctor or treating team" in lower
    assert "talk to a person" in lower and "navigator" in lower


def test_decline_for_personal_results_offers_the_published_thresholds_as_general_information() -> None:
    text = decline_message(detect_medical_advice("my ANC is 1.2, is that bad?"))
    assert "limits the trial publishes" in text and "general information" in text
    assert "limits the trial publishes" not in decline_message(AdviceFinding("dosing", "x"))


def test_decline_without_a_finding_is_still_usable() -> None:
    assert "talk to a person" in decline_message(None)


def test_the_finding_is_frozen() -> None:
    finding = detect_medical_advice("should I stop my chemo?")
    with pytest.raises(AttributeError):
        finding.category = "dosing"  # type: ignore[misc]


def test_shipped_rules_cover_every_category() -> None:
    assert {rule.category for rule in load_rules(TERMS_PATH)} == set(CATEGORIES)


def test_unknown_category_in_the_terms_file_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "advice.yml"
    bad.write_text("categories:\n  horoscope: ['\\\\bstars\\\\b']\n", encoding="utf-8")
    with pytest.raises(AdviceTermsError, match="horoscope"):
        load_rules(bad)
