import pytest

from actions import answer_parsing as parsing

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text, age", [("I'm 62", 62), ("sixty-two", 62), ("my dad is 70", 70), ("70", 70),
                                       ("seventy six", 76), ("she is 18 years old", 18), ("not sure", "unknown"),
                                       ("banana", None), ("", None)])
def test_age(text, age):
    assert parsing.parse_age(text) == age


@pytest.mark.parametrize("text, value", [("yes", True), ("Yes he had carboplatin and etoposide", True), ("no", False),
                                         ("Nope, never", False), ("no, he hasn't", False), ("I don't know", "unknown"),
                                         ("not sure", "unknown"), ("purple", None)])
def test_yes_no_unsure(text, value):
    assert parsing.parse_bool(text) == value


@pytest.mark.parametrize("text, value", [("she had Enhertu last year", "adc"), ("FOLFIRI", "small_molecule"),
                                         ("irinotekan", "small_molecule"), ("both irinotecan and Trodelvy", "adc"),
                                         ("none of these", "none"), ("small_molecule", "small_molecule"),
                                         ("no idea", "unknown"), ("aspirin", None)])
def test_topoisomerase_answers_with_brand_names(text, value):
    assert parsing.parse_choice("prior_topo1", text, ("none", "small_molecule", "adc")) == value


@pytest.mark.parametrize("text, grade", [("fully active", 0), ("I can walk around and look after myself but can't do "
                                                                 "heavy work", 1), ("mostly in bed", 3),
                                         ("bedridden", 4), ("2", 2), ("not sure", "unknown")])
def test_ecog_in_everyday_words(text, grade):
    assert parsing.parse_ecog(text) == grade


def test_caregivers_corrections_and_questions_are_recognised():
    assert parsing.about_someone_else("my mum is 66")
    assert not parsing.about_someone_else("I am 66")
    assert parsing.is_correction("Actually I'm 76")
    assert not parsing.is_correction("I'm 76")
    assert parsing.looks_like_question("how often is the infusion given?")
    assert not parsing.looks_like_question("no")
    assert not parsing.looks_like_question("I'm 62")
