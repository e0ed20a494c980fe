import pytest

from knowledge.chunking import Chunk, chunk_document, chunk_documents
from knowledge.documents import Document, document_from_markdown, split_front_matter
from knowledge.errors import DocumentError
from knowledge.sentences import markdown_paragraphs, split_sentences

pytestmark = pytest.mark.unit

DOC = """---
trial_id: NCT00000001
title: "Demo trial: Eligibility"
section: "Eligibility"
version: "2026-01-01"
---
# Demo trial: Eligibility

Intro sentence about the trial.

## Age
Patients must be aged 18 to 75 years. Prof. Lu leads it, e.g. in Beijing. The dose is 6.0 mg/kg.

## Blood counts
- Platelets must be at least 100×10⁹/L.
- Haemoglobin must be at least 90 g/L.

### Details
A sub-section sentence.
"""


def test_split_sentences_keeps_abbreviations_and_decimals():
    sentences = split_sentences("Patients must be aged 18 to 75 years. Prof. Lu leads it, e.g. in Beijing. The dose is "
                                "6.0 mg/kg.")
    assert sentences == ["Patients must be aged 18 to 75 years.", "Prof. Lu leads it, e.g. in Beijing.",
                         "The dose is 6.0 mg/kg."]


def test_words_ending_like_an_abbreviation_still_end_a_sentence():
    text = "It is a phase 2 trial. A phase 2 trial checks efficacy. It runs at one hospital. Smith et al. found it."
    assert split_sentences(text) == [
        "It is a phase 2 trial.", "A phase 2 trial checks efficacy.", "It runs at one hospital.",
        "Smith et al. found it.",
    ]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    text = 'Ask: "Which dose will I get?" Ask: \u201cHow long?\u201d Then (see below.) Next.'
    assert split_sentences(text) == ['Ask: "Which dose will I get?"', "Ask: \u201cHow long?\u201d", "Then (see below.)",
                                     "Next."]


def test_paragraphs_make_each_list_item_its_own_paragraph_and_mark_bullets():
    found = markdown_paragraphs("- one item.\n- two item.\n\nplain text\ncontinued\n3. a numbered criterion.")
    assert [p.text for p in found] == ["one item.", "two item.", "plain text continued", "a numbered criterion."]
    assert [p.bulleted for p in found] == [True, True, False, False]


def test_chunks_remember_which_sentences_are_bullet_items():
    document = document_from_markdown(DOC + "\n## Tests\n\nTwo tests:\n- A scan. It is quick.\n- A blood test.\n",
                                      "demo.md")
    chunk = next(c for c in chunk_document(document, max_chars=1000) if c.section.endswith("Tests"))
    assert [chunk.sentences[p] for p in chunk.bulleted] == ["A scan.", "It is quick.", "A blood test."]
    assert Chunk.from_dict(chunk.to_dict()) == chunk


def test_front_matter_is_parsed_and_required():
    metadata, body = split_front_matter(DOC, "demo.md")
    assert metadata["trial_id"] == "NCT00000001"
    assert body.startswith("# Demo trial")
    with pytest.raises(DocumentError, match="missing metadata"):
        document_from_markdown("---\ntitle: x\n---\nbody", "bad.md")
    with pytest.raises(DocumentError, match="not closed"):
        document_from_markdown("---\ntitle: x\nbody", "bad.md")


def test_chunks_follow_headings_and_never_cut_sentences():
    document = document_from_markdown(DOC, "demo.md")
    chunks = chunk_document(document, max_chars=40)
    sections = [c.section for c in chunks]
    assert "Eligibility › Age" in sections
    assert "Eligibility › Blood counts › Details" in sections
    for chunk in chunks:
        assert chunk.trial_id == "NCT00000001" and chunk.version == "2026-01-01"
        for sentence in chunk.sentences:
            assert sentence in DOC.replace("\n- ", " ") or sentence in DOC
    age = [c for c in chunks if c.section.endswith("Age")]
    assert len(age) == 3  # 40-character limit: one sentence per chunk, none cut
    assert all(c.text.endswith(".") for c in age)


def test_chunk_ids_are_content_hashes_and_duplicates_and_empties_are_dropped():
    document = document_from_markdown(DOC, "demo.md")
    first = chunk_documents([document], 500)
    again = chunk_documents([document], 500)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    twin = Document("NCT00000001", "t", "Eligibility", "v", "copy.md", "## Age\nPatients must be aged 18 to 75 years.")
    empty = Document("NCT00000001", "t", "Eligibility", "v", "empty.md", "## Nothing\n\n   \n")
    merged = chunk_documents([document, twin, empty], 40)
    texts = [c.text for c in merged]
    assert texts.count("Patients must be aged 18 to 75 years.") == 1
    assert all(t.strip() for t in texts)
