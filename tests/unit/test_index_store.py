import json
from pathlib import Path

import pytest
from textembedder import HashingEmbedder

from knowledge.build import build_index
from knowledge.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from knowledge.index_store import check_index, load_index
from trialbot.settings import KnowledgeSettings

pytestmark = pytest.mark.unit

DOC = """---
trial_id: NCT00000001
title: "Demo"
section: "Overview"
version: "1"
---
## What
The demo trial tests a drug. It gives an infusion every 3 weeks.

## Who
Adults aged 18 to 75 years can join.
"""


@pytest.fixture()
def settings(tmp_path: Path) -> KnowledgeSettings:
    docs = tmp_path / "trials" / "NCT00000001" / "docs"
    docs.mkdir(parents=True)
    (docs / "01-demo.md").write_text(DOC)
    return KnowledgeSettings(docs_dir=tmp_path / "trials", index_dir=tmp_path / "index")


def build(settings: KnowledgeSettings, **kwargs):
    return build_index(settings, embedder_factory=lambda _name: HashingEmbedder(), **kwargs)


def test_build_writes_manifest_and_skips_when_unchanged(settings: KnowledgeSettings):
    first = build(settings)
    assert first.rebuilt and first.chunk_count == 2
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    assert manifest["model"] == "all-MiniLM-L6-v2"
    assert manifest["dimension"] == 64 and manifest["chunk_count"] == 2
    assert list(manifest["spec"]["sources"]) and manifest["trials"] == ["NCT00000001"]
    assert not build(settings).rebuilt
    doc = next(settings.docs_dir.glob("*/docs/*.md"))
    doc.write_text(DOC.replace("18 to 75", "18 to 80"))
    assert build(settings).rebuilt
    assert build(settings.model_copy(update={"chunk_max_chars": 30})).rebuilt


def test_loaded_index_is_consistent(settings: KnowledgeSettings):
    build(settings)
    index = load_index(settings.index_dir, expected_model="all-MiniLM-L6-v2")
    assert index.chunk_index.ntotal == 2
    assert index.sentence_vectors.shape == (3, 64)
    assert list(index.sentence_owner) == [0, 0, 1]
    assert check_index(settings.index_dir)[0] is True


def test_missing_index_says_to_rebuild(tmp_path: Path):
    with pytest.raises(IndexMissingError, match="trialbot index"):
        load_index(tmp_path / "nowhere")
    ok, detail = check_index(tmp_path / "nowhere")
    assert not ok and "trialbot index" in detail


@pytest.mark.parametrize("victim", ["chunks.faiss", "chunks.jsonl", "sentences.npy"])
def test_corrupt_files_are_detected(settings: KnowledgeSettings, victim: str):
    build(settings)
    path = settings.index_dir / victim
    path.write_bytes(path.read_bytes()[:-7] + b"garbage")
    with pytest.raises(IndexCorruptError, match="trialbot index"):
        load_index(settings.index_dir)
    assert build(settings).rebuilt  # a corrupt index is rebuilt, not trusted
    load_index(settings.index_dir)


def test_unreadable_manifest_and_model_mismatch(settings: KnowledgeSettings):
    build(settings)
    with pytest.raises(IndexMismatchError, match="trialbot index"):
        load_index(settings.index_dir, expected_model="another-model")
    (settings.index_dir / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="trialbot index"):
        load_index(settings.index_dir)


def test_empty_document_set_gives_an_empty_index(tmp_path: Path):
    settings = KnowledgeSettings(docs_dir=tmp_path / "none", index_dir=tmp_path / "index")
    report = build(settings)
    assert report.rebuilt and report.chunk_count == 0
    assert load_index(settings.index_dir).chunks == []
