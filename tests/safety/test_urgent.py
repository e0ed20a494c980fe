"""Urgent-symptom detection: each category, negations, past events, questions, and the safety message."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from safety.urgent import (
    TERMS_PATH,
    UrgentFinding,
    UrgentTermsError,
    _terms,
    detect_urgent,
    load_terms,
    normalize_text,
    safety_message,
    symptom_mentions,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]

URGENT = {
    "chest_pain": [
        "chest pain",
        "my chest hurts",
        "My husband says his chest feels tight and heavy",
        "chest pian since this morning",
        "Hi, quick question about costs, also I've got this crushing pain in my chest",
    ],
    "breathing": [
        "trouble breathing",
        "shortness of breath",
        "I can't breathe",
        "cant breath",
        "my dad is struggling to breathe",
        "I have a new cough with fever",
        "coughing a lot and running a temperature since the infusion",
        "he's not breathing",
    ],
    "fever": [
        "temp is 38.9",
        "39 degrees",
        "he's burning up, 102 F",
        "I have a high temperature, I'm on SHR-A1904",
        "running a fevr",
        "temperature of 39,1 an hour ago",
        "Is fever a side effect? I'm asking because I have 38.8 right now",
    ],
    "bleeding": [
        "heavy bleeding",
        "I'm vomiting blood",
        "black tarry stools",
        "blood in my stool",
        "coughing blood",
        "my poo is black",
    ],
    "fainting": [
        "I passed out",
        "my mother fainted twice today",
        "he collapsed in the kitchen",
        "feel like I'm going to faint",
    ],
    "neuro": [
        "he just had a seizure",
        "mum is suddenly very confused and doesn't know where she is",
        "her speech is slurred and her face is drooping",
    ],
    "allergic_reaction": [
        "severe allergic reaction",
        "my face and lips are swelling up after the drip",
        "my throat feels like it's closing",
    ],
    "self_harm": [
        "I want to end it",
        "there is no reason to live",
        "I'm going to kill myself",
        "I have been thinking about suicide",
        "everyone would be better off without me",
    ],
    "severe_gi": [
        "vomiting non stop, can't keep water down",
    ],
}

NOT_URGENT = {
    "negation": [
        "no fever",
        "I don't have chest pain",
        "without any bleeding",
        "denies shortness of breath",
        "No cough, no fever, no trouble breathing",
        "He doesn't have a temperature",
        "I'm not suicidal, just tired",
        "I don't want to die, that's why I'm asking about trials",
        "Cough: none. Fever: none.",
        "no fever, cough or chest pain",
        "no chest pain, shortness of breath, or fever",
    ],
    "past": [
        "I had chest pain last year",
        "two years ago I fainted",
        "used to have a fever after every chemo cycle",
        "He had a seizure in 2019 but nothing since",
        "My dad collapsed three years ago with a heart problem, he is fine now",
        "Two years ago, I fainted",
        "I had a really bad allergic reaction to rituximab once. does that matter?",
        "my father died of a heart attack",
    ],
    "question": [
        "is fever a side effect of SHR-A1904?",
        "what happens if I get a cough on the trial?",
        "What should I do if I get chest pain during the infusion?",
        "Can SHR-A1904 cause shortness of breath?",
        "Has anyone fainted during the infusion?",
        "Tell me about the risk of breathing problems",
        "what are the symptoms of pneumonitis? cough, fever, breathlessness?",
        "I'm worried he might collapse at home, what should we watch for?",
        "is fever common in patients currently on the trial?",
        "can i have an allergic reaction during the drip?",
    ],
    "routine": [
        "what dose is used in the trial?",
        "I'm 39, am I too young?",
        "We live 102 km from the hospital",
        "I'm confused about the difference between NET and NEC",
        "The waiting is killing me, when will I hear back?",
        "my husband is dying to know if he can join",
        "Can I end my participation early?",
        "my temp was 37.5 this morning",
    ],
    "mid_screening": [
        "no",
        "yes, ILD from radiation 2 years ago",
        "1, I get a bit out of breath on the stairs",
        "45 days since his last chemo",
    ],
}


@pytest.mark.parametrize(("category", "text"), [(c, t) for c, texts in URGENT.items() for t in texts])
def test_urgent_symptoms_are_detected_with_their_category(category: str, text: str) -> None:
    finding = detect_urgent(text)
    assert finding is not None, text
    assert finding.category == category
    assert finding.is_self_harm == (category == "self_harm")
    assert finding.matched


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, texts in NOT_URGENT.items() for t in texts])
def test_negated_past_hypothetical_and_general_mentions_are_not_urgent(kind: str, text: str) -> None:
    assert detect_urgent(text) is None, f"{kind}: {text}"


@pytest.mark.parametrize(("text", "category"), [
    ("I had pneumonia last year and now I can't breathe", "breathing"),
    ("No fever but my chest hurts a lot", "chest_pain"),
    ("no, but he's had chest pain since this morning", "chest_pain"),
    ("none of those, but I've been vomiting blood", "bleeding"),
    ("I had chest pain last year and it's back now", "chest_pain"),
    ("what does it mean if I can't stop coughing up blood? it's happening now", "bleeding"),
    ("My dad has chest pain, should he go to hospital?", "chest_pain"),
    ("39 degrees and chills, what should I do?", "fever"),
    ("I had surgery in 2020, I can't breathe", "breathing"),
    ("No fever, chest pain since this morning", "chest_pain"),
    ("no cough, chest pain", "chest_pain"),
    ("I read about chest pain on a forum and now I have it", "chest_pain"),
])
def test_a_present_symptom_still_counts_next_to_negations_past_events_and_questions(text: str, category: str) -> None:
    finding = detect_urgent(text)
    assert finding is not None and finding.category == category


def test_self_harm_takes_priority_over_other_symptoms() -> None:
    finding = detect_urgent("I can't breathe properly and honestly I want to end it all")
    assert finding is not None and finding.category == "self_harm" and finding.is_self_harm


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_messages_are_not_urgent(text: str) -> None:
    assert detect_urgent(text) is None


def test_the_finding_is_a_frozen_dataclass() -> None:
    finding = detect_urgent("chest pain")
    assert isinstance(finding, UrgentFinding)
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.category = "fever"  # type: ignore[misc]


def test_normalisation_handles_apostrophes_case_and_unicode() -> None:
    assert normalize_text("I CAN\u2019T  Breathe") == "i cant breathe"
    assert detect_urgent("I CAN\u2019T BREATHE") is not None
    assert detect_urgent("temp \uff13\uff19\u2103") is not None  # full-width 39℃


def test_safety_message_puts_getting_help_first_and_alerts_a_navigator() -> None:
    text = safety_message(detect_urgent("my chest hurts"))
    first = text.split(". ")[0].lower()
    assert "emergency number" in first and "treating team" in first
    assert "chest pain" in text
    assert "navigator" in text.lower()
    assert "crisis line" not in text


def test_self_harm_message_suggests_emergency_number_and_crisis_line_without_advice() -> None:
    finding = detect_urgent("there is no reason to live")
    text = safety_message(finding)
    first = text.split(". ")[0].lower()
    assert "local emergency number" in first and "suicide crisis line" in first
    assert "navigator" in text.lower()
    for word in ("diagnos", "depress", "medication", "you should take", "911", "999", "112"):
        assert word not in text.lower()


def test_safety_message_without_a_finding_is_still_usable() -> None:
    assert "emergency number" in safety_message(None)


def test_terms_are_loaded_once() -> None:
    _terms()
    before = _terms.cache_info()
    detect_urgent("chest pain")
    detect_urgent("fever")
    after = _terms.cache_info()
    assert after.misses == before.misses and after.currsize == 1


def test_keyword_baseline_lists_mentions_without_context() -> None:
    assert ("fever", "fever") in symptom_mentions("no fever")
    assert symptom_mentions("") == []


def test_a_broken_pattern_in_the_terms_file_is_reported_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "terms.yml"
    bad.write_text(
        "priority: [fever]\ncategories:\n  fever:\n    mention: ['(unclosed']\n", encoding="utf-8"
    )
    with pytest.raises(UrgentTermsError, match=r"fever\.mention\[0\]"):
        load_terms(bad)


def test_priority_must_list_every_category(tmp_path: Path) -> None:
    bad = tmp_path / "terms.yml"
    bad.write_text("priority: [fever]\ncategories:\n  fever: {}\n  bleeding: {}\n", encoding="utf-8")
    with pytest.raises(UrgentTermsError, match="priority"):
        load_terms(bad)


def test_shipped_terms_file_compiles() -> None:
    terms = load_terms(TERMS_PATH)
    assert set(terms.priority) >= {"chest_pain", "breathing", "fever", "bleeding", "fainting", "self_harm",
                                   "allergic_reaction", "neuro"}


RASA_PYTHON = REPO / ".venv-rasa" / "bin" / "python"


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="the Rasa environment (Python 3.10) is not set up")
def test_the_safety_package_runs_on_python_310_in_the_rasa_environment() -> None:
    code = (
        "import sys; assert sys.version_info[:2] == (3, 10), sys.version\n"
        "from safety import detect_urgent, detect_medical_advice, redact, safety_message, decline_message\n"
        "f = detect_urgent(\"I had pneumonia last year and now I can't breathe\")\n"
        "assert f is not None and f.category == 'breathing'\n"
        "assert detect_urgent('no fever') is None\n"
        "assert detect_medical_advice('should I stop my chemo?').category == 'treatment_change'\n"
        "assert redact('+86 138 0013 8000') == '[PHONE]'\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([str(RASA_PYTHON), "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
