"""One test per format: what each reader makes of a small file, down to the chunks the index gets."""

import json
from pathlib import Path

import pytest
from ingestfiles import CTGOV_FIXTURE

from knowledge.chunking import chunk_documents
from knowledge.errors import DocumentError
from knowledge.ingest import SUPPORTED_SUFFIXES, UNKNOWN_TRIAL, detect_trial_id, read_source, split_sections

pytestmark = pytest.mark.unit

TXT = """Drug Z for advanced NEC: what patients ask

This leaflet answers common questions about the NCT12345678 study of drug Z.

How is drug Z given?
Drug Z is given as a drip into a vein every 3 weeks.
Each visit takes about two hours, and a nurse stays with you
during the whole infusion.

Who can join
- Adults aged 18 to 75 years
• People whose cancer grew after platinum chemotherapy

Side effects:
Tiredness and nausea are the most common side effects.
"""

HTML = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Drug Y study | Example Hospital</title>
<meta property="article:modified_time" content="2026-03-01T10:00:00Z">
<script>var tracking = "script text must not be indexed";</script><style>p { color: red }</style></head>
<body><nav><a href="/">Home</a> Navigation menu text</nav>
<header><h1>Drug Y for adults with NEC</h1></header>
<main>
<p>This page explains the <b>NCT23456789</b> study of drug Y.</p>
<h3><span class="material-icons" aria-hidden="true">check_circle</span>Who can join?</h3>
<ul><li>Adults aged 18&ndash;75 years.</li><li>ECOG 0&ndash;1.<ul><li>ECOG 0 means fully active.</li></ul></li></ul>
<h4>Blood tests</h4><p>ANC &ge; 1.5&times;10<sup>9</sup>/L is required.</p>
<h3>Key facts</h3>
<table><tr><th>Item</th><th>Value</th></tr><tr><td>Status</td><td>Not yet recruiting</td></tr>
<tr><td>Phase</td><td>2</td></tr></table>
<div hidden>Hidden text must not be indexed.</div>
<!-- a comment must not be indexed -->
</main><footer>Copyright footer text</footer></body></html>"""


def sections(documents) -> list[str]:
    return [d.section for d in documents]


def test_plain_text_headings_become_sections():
    documents = read_source(Path("leaflet.txt"), TXT.encode("utf-8"), source="uploads/leaflet.txt")
    assert sections(documents) == ["Overview", "How is drug Z given?", "Who can join", "Side effects"]
    first = documents[0]
    assert first.title == "Drug Z for advanced NEC: what patients ask"
    assert first.trial_id == "NCT12345678" and first.source == "uploads/leaflet.txt"
    assert first.version.startswith("sha256:") and len(first.version) == len("sha256:") + 12
    given = documents[1].body
    assert "a nurse stays with you\nduring the whole infusion." in given  # a wrapped line is not a heading
    assert documents[2].body.splitlines() == ["- Adults aged 18 to 75 years",
                                              "- People whose cancer grew after platinum chemotherapy"]
    chunks = chunk_documents(documents, 500)
    assert [c.section for c in chunks][:2] == ["Overview", "How is drug Z given?"]
    assert any("Adults aged 18 to 75 years" in c.sentences for c in chunks if c.section == "Who can join")


def test_html_headings_lists_and_tables():
    documents = read_source(Path("drug-y.html"), HTML)
    assert sections(documents) == ["Overview", "Who can join?", "Key facts"]
    assert {d.title for d in documents} == {"Drug Y for adults with NEC"}
    assert {d.version for d in documents} == {"2026-03-01"}
    assert {d.trial_id for d in documents} == {"NCT23456789"}
    join = documents[1].body
    assert join.splitlines()[:3] == ["- Adults aged 18–75 years.", "- ECOG 0–1.", "  - ECOG 0 means fully active."]
    assert "## Blood tests" in join and "ANC ≥ 1.5×10⁹/L is required." in join
    assert documents[2].body.splitlines()[:2] == ["- Status: Not yet recruiting", "- Phase: 2"]
    everything = "\n".join(d.body + d.section + d.title for d in documents)
    for unwanted in ("script text", "Navigation menu", "Hidden text", "comment", "Copyright footer", "check_circle",
                     "color: red"):
        assert unwanted not in everything
    chunk_sections = {c.section for c in chunk_documents(documents, 500)}
    assert "Who can join? › Blood tests" in chunk_sections


def test_pdf_made_with_reportlab(make_pdf):
    raw = make_pdf("Drug X for advanced NEC: patient leaflet (NCT34567890)", [
        ("How is drug X given?", ["Drug X is given as an infusion into a vein every 3 weeks at the day unit. " * 3]),
        ("Who can join?", ["Adults aged 18 to 75 years can join.", "• People whose cancer grew after chemotherapy"]),
        ("Costs", ["The study drug is free of charge for participants."]),
    ], footer="Drug X leaflet v2")
    documents = read_source(Path("leaflet.pdf"), raw)
    assert sections(documents) == ["How is drug X given?", "Who can join?", "Costs"]
    assert {d.title for d in documents} == {"Drug X for advanced NEC: patient leaflet (NCT34567890)"}
    assert {d.trial_id for d in documents} == {"NCT34567890"}
    assert all(len(d.version) == 10 and d.version[:2] == "20" for d in documents)  # the PDF's own date
    assert "every 3 weeks at the day unit" in documents[0].body
    assert "- People whose cancer grew after chemotherapy" in documents[1].body.splitlines()
    assert not any("leaflet v2" in d.body or "page 2" in d.body for d in documents)  # footer dropped


def test_pdf_without_font_size_differences_uses_the_text_heuristics(tmp_path: Path):
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    lines = ["Visiting the day unit", "Drug W is given every 3 weeks in the day unit.", "Parking",
             "Parking is free for patients on the", "ground floor of the hospital.", "What should I bring?",
             "Bring your medicines and your trial card."]
    for number, line in enumerate(lines):
        page.drawString(72, 800 - 16 * number, line)
    page.showPage()
    page.save()
    documents = read_source(Path("NCT45678901-visits.pdf"), buffer.getvalue())
    assert documents[0].title == "Visiting the day unit"
    assert sections(documents) == ["Overview", "Parking", "What should I bring?"]
    assert "Parking is free for patients on the\nground floor of the hospital." in documents[1].body
    assert {d.trial_id for d in documents} == {"NCT45678901"}  # from the file name


def test_clinicaltrials_gov_record_one_document_per_module():
    record = json.loads(CTGOV_FIXTURE.read_text(encoding="utf-8"))
    assert "not the registry" in record["_comment"].lower()
    documents = read_source(CTGOV_FIXTURE, CTGOV_FIXTURE.read_bytes(), source="fixtures/ctgov.json")
    assert sections(documents) == ["Identification", "Status and dates", "Sponsor and collaborators", "Description",
                                   "Conditions", "Study design", "Arms and interventions", "Eligibility",
                                   "Outcome measures", "Contacts and locations"]
    assert {d.trial_id for d in documents} == {"NCT07520357"}
    assert {d.version for d in documents} == {"2026-11-23"}  # statusModule.lastUpdatePostDateStruct.date
    assert all(d.title.endswith("(NCT07520357), ClinicalTrials.gov record") for d in documents)
    assert all("not the registry" in d.metadata["note"].lower() for d in documents)
    body = {d.section: d.body for d in documents}
    assert 'The recruitment status of NCT07520357 is "not yet recruiting".' in body["Status and dates"]
    assert "The start date of NCT07520357 is April 30, 2026 (estimated)." in body["Status and dates"]
    assert "The sponsor of NCT07520357 is Beijing GoBroad Hospital." in body["Sponsor and collaborators"]
    assert "The phase of NCT07520357 is Phase 2." in body["Study design"]
    assert "NCT07520357 accepts participants aged 18 years to 75 years." in body["Eligibility"]
    chunks = chunk_documents(documents, 500)
    inclusion = " ".join(c.text for c in chunks if c.section == "Eligibility › Inclusion criteria")
    exclusion = " ".join(c.text for c in chunks if c.section == "Eligibility › Exclusion criteria")
    assert "LVEF ≥ 50% by echocardiography" in inclusion and "ECOG performance status 0 or 1" in inclusion
    assert "Previous claudin 18.2-targeted therapy" in exclusion
    assert "Unexplained fever > 38.5°C" in exclusion  # the registry's "\\>" escape is undone
    assert "topoisomerase" not in inclusion and "ECOG" not in exclusion
    locations = " ".join(c.text for c in chunks if c.section == "Contacts and locations › Locations")
    assert "Beijing GoBroad Hospital, Beijing, Beijing Municipality 100142, China" in locations


def test_clinicaltrials_gov_search_page_with_two_studies():
    study = json.loads(CTGOV_FIXTURE.read_text(encoding="utf-8"))
    other = {"protocolSection": {
        "identificationModule": {"nctId": "NCT07014540", "briefTitle": "Irinotecan liposome in NEC"},
        "statusModule": {"overallStatus": "RECRUITING", "lastUpdatePostDateStruct": {"date": "2026-01-05"}},
        "eligibilityModule": {"eligibilityCriteria": "Key Inclusion Criteria:\n\n* Age \\>= 18 years\n\n"
                                                     "Key Exclusion Criteria:\n\n* Pregnancy"}}}
    raw = json.dumps({"studies": [study, other], "nextPageToken": "x"}).encode("utf-8")
    documents = read_source(Path("search.json"), raw)
    assert {d.trial_id for d in documents} == {"NCT07520357", "NCT07014540"}
    second = [d for d in documents if d.trial_id == "NCT07014540"]
    assert [d.section for d in second] == ["Identification", "Status and dates", "Eligibility"]
    assert "## Inclusion criteria\n\n- Age >= 18 years" in second[2].body
    assert "## Exclusion criteria\n\n- Pregnancy" in second[2].body
    assert second[1].version == "2026-01-05" and "is enrolling participants" in second[1].body


@pytest.mark.parametrize(("raw", "reason"), [
    (b"{not json", "not valid JSON"),
    (b'{"name": "a config file"}', "not a ClinicalTrials.gov API v2 study record"),
    (b'{"protocolSection": {"identificationModule": {"nctId": "12345"}}}', "no valid identificationModule.nctId"),
])
def test_json_that_is_not_a_study_record_is_refused(raw: bytes, reason: str):
    with pytest.raises(DocumentError, match=reason):
        read_source(Path("record.json"), raw)


def test_markdown_with_and_without_front_matter():
    plain = b"# Visiting NCT56789012\n\nIntro text.\n\n# Parking\n\nParking is free.\n\n## At night\n\nIt is free.\n"
    documents = read_source(Path("visits.md"), plain)
    assert [(d.title, d.section, d.trial_id) for d in documents] == [
        ("Visiting NCT56789012", "Overview", "NCT56789012"), ("Visiting NCT56789012", "Parking", "NCT56789012")]
    assert "## At night" in documents[1].body
    partial = b"---\nsection: Parking\n---\n# Visiting the unit\n\nParking is free (NCT56789012).\n"
    [document] = read_source(Path("notes.md"), partial)
    assert (document.trial_id, document.title, document.section) == ("NCT56789012", "Visiting the unit", "Parking")
    assert document.version.startswith("sha256:")


@pytest.mark.parametrize(("name", "raw", "reason"), [
    ("consent.docx", b"PK\x03\x04 word document", "unsupported file type .docx"),
    ("setup.exe", b"MZ\x90\x00 program", "unsupported file type .exe"),
    ("README", b"no extension", r"unsupported file type \(no extension\)"),
    ("empty.txt", b"  \n", "the file is empty"),
    ("binary.txt", b"abc\x00\x01\x02", "binary content"),
    ("fake.pdf", b"<html>not a pdf</html>", "not a PDF file"),
    ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\ngarbage", "not a readable PDF"),
    ("headings.html", b"<h1>Title</h1><h2>Only headings</h2>", "no text to index"),
])
def test_unreadable_files_raise_document_error_with_the_reason(name: str, raw: bytes, reason: str):
    with pytest.raises(DocumentError, match=reason):
        read_source(Path(name), raw)


def test_text_in_another_encoding_is_decoded():
    raw = "Who can join\nAdults aged 18 to 75 years – see the café notice.\n".encode("cp1252")
    [document] = read_source(Path("cp1252.txt"), raw)
    assert "18 to 75 years – see the café notice." in document.body


def test_trial_id_detection_and_sections_helper():
    assert detect_trial_id("nct07520357_page.txt", "mentions NCT00000002") == "NCT07520357"
    assert detect_trial_id("page.txt", "NCT00000002, NCT00000003 and NCT00000003 again") == "NCT00000003"
    assert detect_trial_id("page.txt", "no number here") == UNKNOWN_TRIAL
    title, parts = split_sections("# T\n\nintro\n\n### A\n\ntext a\n\n#### A1\n\nsub\n\n### B\n\ntext b\n")
    assert title == "T"
    assert [(h, b.split()) for h, b in parts] == [(None, ["intro"]), ("A", ["text", "a", "##", "A1", "sub"]),
                                                  ("B", ["text", "b"])]
    assert {".md", ".txt", ".html", ".htm", ".pdf", ".json"} <= set(SUPPORTED_SUFFIXES)
