from pathlib import Path

import pytest

from knowledge.errors import KnowledgeError
from knowledge.fusion import reciprocal_rank_fusion
from knowledge.synonyms import QueryExpander, load_synonyms, tokenize
from trialbot.settings import KnowledgeSettings

pytestmark = pytest.mark.unit


def test_project_synonym_list_maps_patients_words():
    expander = QueryExpander(load_synonyms(KnowledgeSettings().synonyms_path))
    assert "trastuzumab deruxtecan" in expander.expansions("my mum had Enhertu last year")
    assert "zolbetuximab" in expander.expansions("I was on Vyloy")
    assert "irinotecan" in expander.expansions("he had FOLFIRI")
    assert "echocardiogram" in expander.expansions("do I need a heart scan?")
    assert "placebo" in expander.expansions("will I get a sugar pill?")
    assert "cisplatin" in expander.expansions("I had platinum chemo")
    assert "chemotherapy" in expander.expansions("chemo stopped working")
    assert expander.expand_brief("has this drug worked in anyone?") == "has this drug worked in anyone? (SHR-A1904)"


def test_phrases_match_whole_words_only():
    expander = QueryExpander({"ct": ["imaging"]})
    assert expander.expansions("a CT scan") == ["imaging"]
    assert expander.expansions("the doctor was direct") == []


def test_misspellings_are_repaired_against_the_vocabulary():
    expander = QueryExpander({}, vocabulary={"eligibility", "irinotecan", "echocardiography"})
    assert "irinotecan" in expander.expansions("I had irinotekan")
    assert expander.expand("hello") == "hello"


def test_spelling_repair_is_remembered_and_skips_words_of_other_lengths():
    expander = QueryExpander({}, vocabulary={"eligibility", "irinotecan", "echocardiography"})
    assert expander.repair("echocardiografy") == "echocardiography"
    assert expander.repair("ireland") is None
    assert expander.repair("echocardiografy") == "echocardiography"  # from the cache
    assert set(expander._repairs) == {"echocardiografy", "ireland"}


def test_tokenize_keeps_trial_identifiers():
    assert "cldn18.2" in tokenize("Is CLDN18.2 needed?")
    assert "shr-a1904" in tokenize("What is SHR-A1904")


def test_bad_synonym_file_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "syn.yml"
    bad.write_text("chemo: {nested: map}\n")
    with pytest.raises(KnowledgeError, match="chemo"):
        load_synonyms(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(KnowledgeError, match="must map"):
        load_synonyms(bad)


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]], k=60)
    ids = [item for item, _ in fused]
    assert ids[0] == 1  # ranked 1st and 2nd
    assert ids[1] == 3  # ranked 3rd and 1st
    assert set(ids) == {1, 2, 3, 4}
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], k=0)


def test_a_number_slot_matches_a_stated_age_but_not_a_lab_value():
    expander = QueryExpander({"i am {number}": ["age"], "{number} years old": ["age"]})
    assert expander.expansions("I am 80, can I join?") == ["age"]
    assert expander.expansions("he is 76 years old") == ["age"]
    assert expander.expansions("I am 45% sure") == []
    assert expander.expansions("i am 1.5 metres tall") == []
    project = QueryExpander(load_synonyms(KnowledgeSettings().synonyms_path))
    assert "aged 18 to 75 years" in project.expansions("my mum is 72, can she take part?")
