"""Extra sources through ``collect_documents`` and ``build_index``: skipped files are named with the reason,
directories add every file, several trials share one index, no empty or duplicate chunk is indexed."""

import json
import shutil
from pathlib import Path

import pytest
from ingestfiles import CTGOV_FIXTURE
from textembedder import HashingEmbedder

from knowledge.build import build_index, collect_documents
from knowledge.index_store import load_index
from knowledge.ingest import expand_sources
from trialbot.settings import KnowledgeSettings

pytestmark = pytest.mark.unit

LEAFLET = "Visiting the day unit\n\nTrial NCT12345678 gives drug Z every 3 weeks in the day unit.\n\n" \
          "Parking\nParking is free for patients of the NCT12345678 trial.\n"
NO_TRIAL_PAGE = b"<html><body><h1>Hospital visitor guide</h1><p>The hospital cafe opens at 8 am.</p></body></html>"


def build(settings: KnowledgeSettings, sources: list[Path], **kwargs):
    return build_index(settings, extra_sources=sources, embedder_factory=lambda _name: HashingEmbedder(), **kwargs)


def test_unsupported_and_corrupt_files_are_named_and_the_rest_index(settings, tmp_path: Path, make_pdf):
    good_pdf = tmp_path / "leaflet.pdf"
    good_pdf.write_bytes(make_pdf("Drug X leaflet (NCT34567890)", [("Costs", ["The study drug is free."])]))
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(good_pdf.read_bytes()[:300])
    docx = tmp_path / "consent.docx"
    docx.write_bytes(b"PK\x03\x04 a word document")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00")
    text = tmp_path / "leaflet.txt"
    text.write_text(LEAFLET, encoding="utf-8")
    missing = tmp_path / "missing.html"
    documents, hashes, skipped = collect_documents(settings, [docx, corrupt, good_pdf, exe, text, missing])
    reasons = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in skipped}
    assert set(reasons) == {str(p) for p in (docx, corrupt, exe, missing)}
    assert reasons[str(docx)].startswith("unsupported file type .docx")
    assert reasons[str(exe)].startswith("unsupported file type .exe")
    assert reasons[str(corrupt)].startswith("not a readable PDF")
    assert reasons[str(missing)] == "no such file or directory"
    assert {d.trial_id for d in documents} == {"NCT00000001", "NCT34567890", "NCT12345678"}
    assert {str(good_pdf), str(text)} <= set(hashes) and str(corrupt) not in hashes
    assert any(name.endswith("knowledge/mojibake.yml") for name in hashes)  # the repair map is a build input
    report = build(settings, [docx, corrupt, good_pdf, exe, text, missing])
    assert report.rebuilt and report.skipped == skipped
    assert {c.trial_id for c in load_index(settings.index_dir).chunks} == {"NCT00000001", "NCT34567890", "NCT12345678"}


def test_a_directory_adds_every_supported_file_inside_it(settings, tmp_path: Path, make_pdf):
    folder = tmp_path / "team-docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "leaflet.txt").write_text(LEAFLET, encoding="utf-8")
    (folder / "guide.html").write_bytes(NO_TRIAL_PAGE)
    (folder / "sub" / "leaflet.pdf").write_bytes(make_pdf("Drug X (NCT34567890)", [("Costs", ["It is free."])]))
    shutil.copy(CTGOV_FIXTURE, folder / "sub" / "record.json")
    (folder / "sub" / "notes.docx").write_bytes(b"PK\x03\x04")
    (folder / ".hidden.txt").write_text("Hidden notes that must not be indexed.\n", encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "config.txt").write_text("not a document\n", encoding="utf-8")
    assert [p.relative_to(folder).as_posix() for p in expand_sources([folder])] == [
        "guide.html", "leaflet.txt", "sub/leaflet.pdf", "sub/notes.docx", "sub/record.json"]
    documents, hashes, skipped = collect_documents(settings, [folder])
    assert skipped == [f"{folder / 'sub' / 'notes.docx'}: unsupported file type .docx "
                       "(supported: .htm, .html, .json, .markdown, .md, .pdf, .text, .txt, .xhtml)"]
    read = {Path(d.source).name for d in documents}
    assert read == {"01-demo.md", "leaflet.txt", "guide.html", "leaflet.pdf", "record.json"}
    assert {d.trial_id for d in documents} == {"NCT00000001", "NCT12345678", "unknown", "NCT34567890",
                                               "NCT07520357"}
    assert not any("Hidden notes" in d.body for d in documents)


def test_files_are_read_once_and_duplicates_and_empty_files_are_reported(settings, tmp_path: Path):
    first = tmp_path / "a" / "leaflet.txt"
    copy = tmp_path / "b" / "leaflet-copy.txt"
    empty = tmp_path / "empty.md"
    headings_only = tmp_path / "headings.md"
    for path in (first, copy):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LEAFLET, encoding="utf-8")
    empty.write_text("", encoding="utf-8")
    headings_only.write_text("---\ntrial_id: NCT00000009\ntitle: T\nsection: S\nversion: '1'\n---\n# T\n\n## S\n",
                             encoding="utf-8")
    documents, _hashes, skipped = collect_documents(settings, [first, tmp_path / "a", copy, empty, headings_only])
    assert skipped == [f"{copy}: same content as {first}", f"{empty}: the file is empty",
                       f"{headings_only}: no text to index in the file"]
    assert sum(Path(d.source).name == "leaflet.txt" for d in documents) == 2  # two sections, read once


def test_two_trials_in_one_index_each_chunk_tagged(settings, tmp_path: Path):
    leaflet = tmp_path / "leaflet.txt"
    leaflet.write_text(LEAFLET, encoding="utf-8")
    guide = tmp_path / "guide.html"
    guide.write_bytes(NO_TRIAL_PAGE)
    report = build(settings, [CTGOV_FIXTURE, leaflet, guide])
    assert report.rebuilt and report.skipped == []
    index = load_index(settings.index_dir, expected_model="all-MiniLM-L6-v2")
    by_trial: dict[str, list] = {}
    for chunk in index.chunks:
        by_trial.setdefault(chunk.trial_id, []).append(chunk)
    assert set(by_trial) == {"NCT00000001", "NCT07520357", "NCT12345678", "unknown"}
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    assert manifest["trials"] == ["NCT00000001", "NCT07520357", "NCT12345678", "unknown"]
    assert manifest["chunk_count"] == len(index.chunks) == index.chunk_index.ntotal
    assert all(c.source.endswith("NCT07520357_ctgov_v2.json") for c in by_trial["NCT07520357"])
    assert any("Inclusion criteria" in c.section and "LVEF ≥ 50%" in c.text for c in by_trial["NCT07520357"])
    assert all("NCT12345678" in c.text for c in by_trial["NCT12345678"])
    assert [c.text for c in by_trial["unknown"]] == ["The hospital cafe opens at 8 am."]
    assert all(c.text.strip() for c in index.chunks)
    keys = [(c.trial_id, " ".join(c.text.lower().split())) for c in index.chunks]
    assert len(keys) == len(set(keys))
    assert not build(settings, [CTGOV_FIXTURE, leaflet, guide]).rebuilt  # unchanged sources: nothing to do
    assert build(settings, [CTGOV_FIXTURE, leaflet]).rebuilt  # a source removed: rebuilt without it
    assert "unknown" not in {c.trial_id for c in load_index(settings.index_dir).chunks}
